// The module UI is served from a sub-path of cluster-admin, so every asset URL is relative.
const path = require("path");

module.exports = {
  publicPath: "./",
  productionSourceMap: false,
  transpileDependencies: ["@nethserver/ns8-ui-lib"],
  configureWebpack: {
    // An admin UI loaded once from the cluster: the bundle size hints do not apply.
    performance: { hints: false },
    resolve: {
      alias: {
        // ns8-ui-lib 0.1.32 imports Node's crypto for uuids and an icon renamed since.
        crypto$: path.resolve(__dirname, "src/shims/nodeCrypto.js"),
        "@carbon/icons-vue/es/app-switcher/20": "@carbon/icons-vue/es/switcher/20",
      },
    },
  },
  chainWebpack: (config) => {
    config.plugins.delete("prefetch");
    config.module
      .rule("css")
      .oneOf("normal")
      .use("local-fonts")
      .loader(path.resolve(__dirname, "build/local-fonts-loader.js"))
      .after("postcss-loader");
  },
};
