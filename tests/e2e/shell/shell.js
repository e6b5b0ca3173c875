// The NS8 admin shell stand-in (cluster-admin's part of a module page): the login token in
// localStorage, `window.core` / `window.ns8` with the event bus and the router the module
// UI reaches through `window.parent`, the `#/apps/<id>` address, the module UI in an iframe,
// the task-end events long-polled from the shell server and emitted on the bus, and toasts.
(function () {
  "use strict";

  const config = window.SHELL_CONFIG;
  const appPath = `/apps/${config.moduleId}`;
  const apiUrl = `${window.location.origin}/cluster-admin/api`;
  const TOAST_LIFETIME_MS = 10000;

  window.localStorage.setItem(
    "loginInfo",
    JSON.stringify({ username: config.username, token: config.token })
  );

  // A Vue-style event bus: $on/$once/$off/$emit, `$off(name, fn)` also removing a `$once`.
  function createBus() {
    const handlers = new Map();
    const names = (name) => (Array.isArray(name) ? name : [name]);
    const bus = {
      apiUrl,
      $on(name, fn) {
        for (const one of names(name)) {
          if (!handlers.has(one)) {
            handlers.set(one, []);
          }
          handlers.get(one).push(fn);
        }
        return bus;
      },
      $once(name, fn) {
        const wrapper = function (...args) {
          bus.$off(name, wrapper);
          fn.apply(bus, args);
        };
        wrapper.fn = fn;
        return bus.$on(name, wrapper);
      },
      $off(name, fn) {
        if (name === undefined) {
          handlers.clear();
          return bus;
        }
        for (const one of names(name)) {
          const list = handlers.get(one) || [];
          if (!fn) {
            handlers.delete(one);
            continue;
          }
          for (let i = list.length - 1; i >= 0; i--) {
            if (list[i] === fn || list[i].fn === fn) {
              list.splice(i, 1);
              break;
            }
          }
        }
        return bus;
      },
      $emit(name, ...args) {
        for (const handler of (handlers.get(name) || []).slice()) {
          try {
            handler.apply(bus, args);
          } catch (error) {
            console.error(`a handler of ${name} failed`, error);
          }
        }
        return bus;
      },
    };
    return bus;
  }

  // The hash-mode route (`#/apps/<id>?page=...`) as vue-router reports it.
  function currentRoute() {
    const fullPath = window.location.hash.replace(/^#/, "") || "/";
    const [path, query = ""] = fullPath.split("?");
    return { path, fullPath, query: Object.fromEntries(new URLSearchParams(query)) };
  }

  const bus = createBus();
  const core = {
    $root: bus,
    $t: (key) => key,
    get $route() {
      return currentRoute();
    },
    $router: {
      replace(to) {
        window.history.replaceState(null, "", `#${to}`);
      },
      push(to) {
        window.location.hash = to;
      },
    },
  };
  window.core = core;
  window.ns8 = core;
  window.CONFIG = { PRODUCT_NAME: "NethServer 8", API_ENDPOINT: apiUrl };

  if (!currentRoute().path.startsWith(appPath)) {
    window.history.replaceState(null, "", `#${appPath}`);
  }

  function toast(kind, title, text) {
    const list = document.querySelector("[data-test=shell-toasts]");
    const item = document.createElement("li");
    item.className = `shell-toast shell-toast-${kind}`;
    item.dataset.test = "shell-toast";
    const heading = document.createElement("div");
    heading.className = "shell-toast-title";
    heading.textContent = title;
    const body = document.createElement("div");
    body.className = "shell-toast-text";
    body.textContent = text || "";
    const close = document.createElement("button");
    close.className = "shell-toast-close";
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.textContent = "\u00d7";
    close.addEventListener("click", () => item.remove());
    item.append(heading, body, close);
    list.append(item);
    window.setTimeout(() => item.remove(), TOAST_LIFETIME_MS);
  }

  const TASK_TEXT = {
    completed: ["success", "Completed"],
    aborted: ["error", "Failed"],
    "validation-failed": ["error", "Validation failed"],
  };

  bus.$on("createErrorNotification", (error, message) =>
    toast("error", message || "Error", error && error.message ? error.message : String(error || ""))
  );
  bus.$on("createNotificationForApp", (notification) =>
    toast(
      notification.type || "info",
      notification.title || "",
      notification.description || notification.text || ""
    )
  );

  function sleep(ms) {
    return new Promise((resolve) => window.setTimeout(resolve, ms));
  }

  // Long-polls the task ends after `after` and emits each one's names on the bus.
  async function followEvents(after) {
    for (;;) {
      try {
        const response = await fetch(`${apiUrl}/_events?after=${after}`, {
          headers: { Authorization: `Bearer ${config.token}` },
        });
        if (!response.ok) {
          throw new Error(`HTTP ${response.status}`);
        }
        const body = await response.json();
        for (const event of body.events) {
          after = Math.max(after, event.seq);
          if (event.notification) {
            const [kind, text] = TASK_TEXT[event.notification.status] || ["info", ""];
            const description = event.notification.description;
            toast(kind, event.notification.title, description ? `${text}: ${description}` : text);
          }
          for (const name of event.names) {
            bus.$emit(name, ...event.args);
          }
        }
      } catch (error) {
        console.warn("cannot read task events, retrying", error);
        await sleep(1000);
      }
    }
  }

  document.querySelector("[data-test=shell-user]").textContent = config.username;
  const link = document.querySelector("[data-test=shell-app-link]");
  link.href = `#${appPath}`;
  link.textContent = `${config.appLabel} (${config.moduleId})`;
  followEvents(config.eventsAfter);
  document.getElementById("app-frame").src = `apps/${config.moduleId}/index.html`;
})();
