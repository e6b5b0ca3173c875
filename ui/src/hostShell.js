// The admin shell that hosts this app in an iframe: which instance we are (from the shell's
// `#/apps/<id>` address), which page it asks for (`?page=`), and keeping its address in step
// when the user moves between pages.
const APP_HASH = /^#\/apps\/([\w-]+)(?:\?(.*))?$/;

function parentHash() {
  return window.parent.location.hash || "";
}

export function instanceFromShell() {
  const match = APP_HASH.exec(parentHash());
  return match ? match[1] : "";
}

export function pageFromShell() {
  const match = APP_HASH.exec(parentHash());
  const params = new URLSearchParams(match && match[2] ? match[2] : "");
  return params.get("page") || "status";
}

export function showPageInShell(instance, page) {
  const wanted = `#/apps/${instance}?page=${encodeURIComponent(page)}`;
  if (parentHash() !== wanted && window.parent !== window) {
    window.parent.history.replaceState(null, "", wanted);
  }
}

// The shell's event bus and helpers (`window.parent.core`).
export function shellCore() {
  return window.parent.core || window.parent.ns8;
}
