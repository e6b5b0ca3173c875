// Webpack loader for Carbon's prebuilt CSS: keeps each @font-face's local() sources and drops
// the font URLs on IBM's CDN, so the admin UI never reaches outside the cluster (a font that is
// not installed falls back to Carbon's system font stack).
const REMOTE_FONT_SOURCE = /,?\s*url\("?https?:\/\/[^)]*\)\s*format\("[^"]*"\)/g;

module.exports = function stripRemoteFonts(css) {
  return css.replace(REMOTE_FONT_SOURCE, "");
};
