// Escapes text for the ns8-ui-lib props that render HTML (notification descriptions, the
// delete modal's texts), so server messages and user names show as plain text.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text === undefined || text === null ? "" : text).replace(
    /[&<>"']/g,
    (character) => ENTITIES[character]
  );
}
