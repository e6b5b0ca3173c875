// Browser scenarios of issue 5: the built module UI inside ui-shell (the stand-in NS8 admin
// shell), driven by Playwright with Debian's Chromium, against the real module actions,
// supervisor and Dovecot. One shell process and one browser; the steps run in order and
// build on each other (a step is skipped once an earlier one failed).
//
// Run: node --test ui/tests/browser/   (scripts/test-ui builds everything first)
// Environment: UI_SHELL_BIN (default target/debug/ui-shell), UI_DIST (default ui/dist),
// UI_ARTIFACTS (default target/ui-artifacts: NN-name.png screenshots, the downloaded log,
// ui-shell.log, console.log), UI_MESSAGES and UI_THROTTLE (the remote corpus and link speed).
// Vue and vue-i18n only warn in a development build (vue-cli-service build --mode
// development); on a production build the step that looks for their warnings is skipped.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

// ---------------------------------------------------------------------------------------
// Selectors and texts: the contract's data-test hooks, the Carbon classes the checks read and
// the English texts, in one place.
// ---------------------------------------------------------------------------------------
const hook = (name) => `[data-test="${name}"]`;
const SEL = {
  appFrame: hook("app-frame"),
  shellToast: hook("shell-toast"),
  menu: (page) => hook(`menu-${page}`),
  page: (page) => hook(`page-${page}`),
  statusService: hook("status-service"),
  mailServer: hook("mail-server"),
  comboOption: ".bx--list-box__menu-item",
  settingsSave: hook("settings-save"),
  tasksEmptyState: hook("tasks-empty-state"),
  goToSettings: hook("go-to-settings"),
  createTask: hook("create-task-button"),
  refresh: hook("refresh-button"),
  tasksKebab: hook("tasks-kebab"),
  tasksKebabItem: (item) => hook(`menu-${item}`),
  overflowTrigger: ".bx--overflow-menu__trigger",
  row: (id) => `${hook("task-row")}[data-task-id="${id}"]`,
  rowStatus: hook("task-status"),
  rowFrequency: hook("task-frequency"),
  rowLastSync: hook("last-sync"),
  rowProgress: hook("task-progress"),
  rowProgressMessages: hook("progress-messages"),
  rowProgressBytes: hook("progress-bytes"),
  rowProgressRate: hook("progress-rate"),
  rowProgressLines: ".progress-text",
  progressBar: ".progress-bar-container",
  progressBarLine: ".progress-line",
  rowMenu: hook("task-menu"),
  rowMenuItem: (item, id) => `${hook(`menu-${item}`)}[data-task-id="${id}"]`,
  menuItemButton: "button",
  taskModal: hook("task-modal"),
  field: (name) => hook(`field-${name}`),
  fieldInvalidMessage: ".bx--form-requirement",
  taskModalSave: hook("task-modal-save"),
  taskModalError: hook("task-modal-error"),
  taskModalErrorBottom: hook("task-modal-error-bottom"),
  informationModal: hook("information-modal"),
  info: (name) => hook(`info-${name}`),
  infoLoading: hook("info-loading"),
  logView: hook("log-view"),
  logContent: hook("log-content"),
  logFollow: hook("log-follow"),
  logClose: hook("log-close"),
  deleteModal: hook("delete-task-modal"),
};
const TEXT = {
  mailServerOption: "mail1",
  emptyState: "No email server set, go to the settings",
  running: "Running",
  stopped: "Stopped",
  success: "Success",
  transferred: (count) => `${count} transferred`,
  summary: (transferred, skipped) => `${transferred} transferred · ${skipped} skipped`,
  required: "Required",
  badCredentials: "The remote server refused the remote user or password",
  passwordUnchanged: "Unchanged",
  allExceptSelected: "All except selected",
  scheduleHours: "hours",
  everyTwoHours: "Every 2 hours",
  rateUnit: "msg/s",
  folderPrefix: "Folder: ",
  cancel: "Cancel",
  deleteConfirm: "I understand, delete",
  serviceName: "imapsync",
};
// Console lines the checks look for: Vue's and vue-i18n's warnings (development builds only),
// and the line the test itself logs in the module frame to prove the frame's console is heard.
const CONSOLE = {
  vueWarning: "[Vue warn]",
  i18nWarning: "[vue-i18n]",
  frameProbe: "[ui-test] console probe",
  favicon: /\/favicon\.ico$/,
};

// ---------------------------------------------------------------------------------------
// Set-up: paths, the shell process, the browser, the console of the page and its frames.
// ---------------------------------------------------------------------------------------
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const fromRoot = (p) => path.resolve(repoRoot, p);
const shellBin = fromRoot(process.env.UI_SHELL_BIN || "target/debug/ui-shell");
const uiDist = fromRoot(process.env.UI_DIST || "ui/dist");
const artifacts = fromRoot(process.env.UI_ARTIFACTS || "target/ui-artifacts");
const messages = process.env.UI_MESSAGES || "3000";
const throttle = process.env.UI_THROTTLE || "80000";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const READY_LIMIT_MS = 300_000;
const ACTION_LIMIT_MS = 60_000;
const RUN_LIMIT_MS = 180_000;
const POLL_MS = 250;
// The folders the first task excludes: one the remote account has, one it has not.
const EXCLUDED_FOLDERS = ["Projects", "Junk"];
const EXCLUSION_LINES = EXCLUDED_FOLDERS.map((folder) => `^${folder}$`);
// New remote messages before Start all: enough for both runs to last while they are watched.
const NEW_MAIL = 1500;

let shell; // the ui-shell child process
let ready; // its ready line
let browser;
let page; // the shell page
let app; // the module UI's frame
let shotNumber = 0;
let failed = false;
// Console errors and warnings of the page and its frames, and uncaught errors: {kind, text, url}.
const consoleLines = [];
// What the steps learn and hand on.
const found = {
  badTaskId: "",
  taskId: "",
  secondTaskId: "",
  createCallsBefore: 0,
  storedEnv: null,
};

// Removes what an earlier run left in the artifacts directory (and nothing else).
function clearArtifacts() {
  mkdirSync(artifacts, { recursive: true });
  for (const name of readdirSync(artifacts)) {
    if (/^\d\d-.*\.png$|^imapsync_.*\.log$|^ui-shell\.log$|^console\.log$/.test(name)) {
      rmSync(path.join(artifacts, name));
    }
  }
}

async function startShell() {
  clearArtifacts();
  const log = createWriteStream(path.join(artifacts, "ui-shell.log"));
  shell = spawn(shellBin, ["--ui-dist", uiDist, "--messages", messages, "--throttle", throttle], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  shell.stderr.pipe(log);
  const lines = readline.createInterface({ input: shell.stdout });
  const first = once(lines, "line");
  const exited = once(shell, "exit").then(([code]) => {
    throw new Error(`ui-shell exited (${code}) before it was ready; see ${artifacts}/ui-shell.log`);
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("ui-shell was not ready in time")), READY_LIMIT_MS).unref()
  );
  const [line] = await Promise.race([first, exited, timeout]);
  exited.catch(() => {});
  return JSON.parse(line);
}

async function stopShell() {
  if (!shell || shell.exitCode !== null) {
    return;
  }
  const exited = once(shell, "exit");
  shell.stdin.end();
  shell.kill("SIGTERM");
  await exited;
}

// Records the console errors and warnings of the page and of every frame in it, and the
// errors nothing caught.
function listenToConsole() {
  page.on("console", (message) => {
    if (["error", "warning"].includes(message.type())) {
      consoleLines.push({
        kind: message.type(),
        text: message.text(),
        url: message.location().url || "",
      });
    }
  });
  page.on("pageerror", (error) => {
    consoleLines.push({ kind: "uncaught", text: String(error.stack || error), url: "" });
  });
}

before(async () => {
  ready = await startShell();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    acceptDownloads: true,
    locale: "en-US",
  });
  // Only loopback: the Carbon stylesheet names web fonts on a CDN.
  await context.route(
    (url) => url.hostname !== "127.0.0.1",
    (route) => route.abort("blockedbyclient")
  );
  page = await context.newPage();
  page.setDefaultTimeout(ACTION_LIMIT_MS);
  listenToConsole();
  app = page.frameLocator(SEL.appFrame);
});

after(async () => {
  await browser?.close();
  await stopShell();
  const lines = consoleLines.map((line) => `${line.kind}\t${line.url}\t${line.text}`);
  writeFileSync(path.join(artifacts, "console.log"), lines.join("\n") + "\n");
});

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

// An ordered step: skipped once an earlier step failed, its failure recorded.
function step(name, body) {
  test(name, async (t) => {
    if (failed) {
      t.skip("an earlier step failed");
      return;
    }
    try {
      await body(t);
    } catch (error) {
      failed = true;
      await shot(`failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
      throw error;
    }
  });
}

async function shot(name) {
  shotNumber += 1;
  const file = `${String(shotNumber).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: path.join(artifacts, file), fullPage: true });
}

// A `/_test/...` answer of the shell (`method` POST for the one that changes the rig).
async function inspect(what, method = "GET") {
  const response = await fetch(`${ready.inspect}/${what}`, { method });
  const body = await response.json();
  assert.equal(response.status, 200, `${what}: ${JSON.stringify(body)}`);
  return body;
}

// Polls `probe` until it returns a truthy value; on time-out the error shows what `probe`
// last saw when it returns {ok, seen} objects.
async function waitFor(what, probe, limit = ACTION_LIMIT_MS) {
  const deadline = Date.now() + limit;
  let last;
  for (;;) {
    last = await probe();
    if (last && last.ok !== false) {
      return last;
    }
    if (Date.now() > deadline) {
      const seen =
        last && last.seen !== undefined ? `; last seen: ${JSON.stringify(last.seen)}` : "";
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function openPage(name) {
  await app.locator(SEL.menu(name)).click();
  await app.locator(SEL.page(name)).waitFor();
}

async function chooseFromCombo(field, text) {
  const combo = app.locator(field);
  await combo.locator("input").click();
  await combo.locator("input").fill(text);
  await combo.locator(SEL.comboOption).filter({ hasText: text }).first().click();
}

function row(id) {
  return app.locator(SEL.row(id));
}

async function statusOf(id) {
  return (await row(id).locator(SEL.rowStatus).textContent({ timeout: 2000 })).trim();
}

// Waits until the row's status tag reads `text`.
async function waitForStatus(id, text, limit = ACTION_LIMIT_MS) {
  await row(id).locator(SEL.rowStatus).filter({ hasText: text }).waitFor({ timeout: limit });
}

// An overflow menu item's button: clicking it waits until the item is enabled (the item's
// <li> itself never is disabled).
function menuButton(item) {
  return item.locator(SEL.menuItemButton);
}

async function rowMenu(id, item) {
  await row(id).locator(SEL.rowMenu).click();
  await menuButton(app.locator(SEL.rowMenuItem(item, id))).click();
}

async function toolbarMenu(item) {
  await app.locator(SEL.tasksKebab).click();
  await menuButton(app.locator(SEL.tasksKebabItem(item))).click();
}

// The invalid message Carbon shows inside a form field's wrapper.
function fieldInvalid(modal, name) {
  return modal.locator(`${SEL.field(name)} ${SEL.fieldInvalidMessage}`);
}

function digits(text) {
  return Number(String(text).replace(/\D/g, ""));
}

// "<done> / <total> messages" as numbers, or null.
function messageCounts(text) {
  const match = /([\d,.\s]+)\/\s*([\d,.\s]+)/.exec(text || "");
  return match ? { done: digits(match[1]), total: digits(match[2]) } : null;
}

// One snapshot of a row's progress: the texts of its lines and the bar's state.
async function progressOf(id) {
  const shown = await row(id)
    .locator(SEL.rowProgress)
    .evaluate(
      (box, { sel, folderPrefix }) => {
        const text = (selector) => {
          const element = box.querySelector(selector);
          return element ? element.textContent.replace(/\s+/g, " ").trim() : null;
        };
        const lines = [...box.querySelectorAll(sel.lines)].map((line) =>
          line.textContent.replace(/\s+/g, " ").trim()
        );
        const barLine = box.querySelector(sel.barLine);
        return {
          messages: text(sel.messages),
          bytes: text(sel.bytes),
          rate: text(sel.rate),
          folder: lines.find((line) => line.startsWith(folderPrefix)) || null,
          bar: box.querySelector(sel.bar) !== null,
          barWidth: barLine ? parseFloat(barLine.style.width) : null,
        };
      },
      {
        sel: {
          messages: SEL.rowProgressMessages,
          bytes: SEL.rowProgressBytes,
          rate: SEL.rowProgressRate,
          lines: SEL.rowProgressLines,
          bar: SEL.progressBar,
          barLine: SEL.progressBarLine,
        },
        folderPrefix: TEXT.folderPrefix,
      },
      { timeout: 2000 }
    )
    .catch(() => null);
  return shown && { ...shown, counts: messageCounts(shown.messages) };
}

function taskFiles(files, localuser, id) {
  return [...files.imapsync, ...files.cron].filter((name) =>
    name.startsWith(`${localuser}_${id}.`)
  );
}

async function callsOf(action) {
  return (await inspect("calls")).filter((call) => call.action === action);
}

async function lastCall(action) {
  return (await callsOf(action)).pop();
}

// Waits for the end of the latest `action` call submitted at or after `sinceMs`.
async function waitForCallEnd(action, sinceMs) {
  return waitFor(`${action} to end`, async () => {
    const call = (await callsOf(action)).filter((c) => c.started_ms >= sinceMs).pop();
    return call && call.status !== "running" && call;
  });
}

async function runFiles() {
  return (await inspect("task-files")).imapsync.filter((name) => name.endsWith(".pid"));
}

// Clicks Refresh and waits until the table shows a list-tasks answer asked for after the
// click: the button stays disabled until the UI took the answer of its latest request.
async function refreshList() {
  const button = app.locator(SEL.refresh);
  const clickedAt = Date.now();
  await button.click();
  await waitFor("the refreshed list", async () => {
    const answered = (await callsOf("list-tasks")).some(
      (call) => call.started_ms >= clickedAt && call.status === "completed"
    );
    return answered && (await button.isEnabled());
  });
}

async function fillTaskForm({ localuser, password, hostname = ready.remote_host }) {
  const modal = app.locator(SEL.taskModal);
  await modal.waitFor();
  await chooseFromCombo(`${SEL.taskModal} ${SEL.field("localuser")}`, localuser);
  await modal.locator(`${SEL.field("remoteusername")} input`).fill(ready.remote_user);
  await modal.locator(`${SEL.field("remotepassword")} input`).fill(password);
  await modal.locator(`${SEL.field("remotehostname")} input`).fill(hostname);
  await modal.locator(`${SEL.field("remoteport")} input`).fill(String(ready.remote_port));
  await modal.locator(`${SEL.field("security")} select`).selectOption("tls");
  return modal.locator(`${SEL.field("task-id")} input`).inputValue();
}

async function waitForRunning(id) {
  await waitFor(`task ${id} to show progress`, async () => {
    const status = await statusOf(id).catch(() => "");
    const shown = status === TEXT.running && (await progressOf(id));
    return { ok: Boolean(shown && shown.counts), seen: { status, shown } };
  });
}

// The `.env` the module stores for a task created from the first task's form.
function expectedEnv(id) {
  return {
    TASK_ID: id,
    LOCALUSER: "user2",
    REMOTEUSERNAME: ready.remote_user,
    REMOTEHOSTNAME: ready.remote_host,
    REMOTEPORT: String(ready.remote_port),
    SECURITY: "--tls1",
    DELETE_LOCAL: "",
    DELETEFOLDER: "",
    EXCLUDE: `,${EXCLUSION_LINES.join(",")}`,
    DELETE_REMOTE: "",
    EXPUNGE_REMOTE: "",
    SIEVE_ENABLED: "",
    CRON: "",
    FOLDER_INBOX: "",
    FOLDERSYNCHRONIZATION: "exclusion",
  };
}

// The messages the first task copies: every remote folder but the excluded ones.
function expectedCopied() {
  return ready.remote_folders
    .filter((folder) => !EXCLUDED_FOLDERS.includes(folder.name))
    .reduce((sum, folder) => sum + folder.messages, 0);
}

// A `/_test/messages` answer cut to the first task's scope: its folders but the excluded ones.
function inScope(mailbox) {
  const counts = Object.entries(mailbox.folders).filter(
    ([folder]) => !EXCLUDED_FOLDERS.includes(folder)
  );
  return {
    folders: counts.length,
    messages: counts.reduce((sum, [, count]) => sum + count, 0),
    names: counts.map(([folder]) => folder),
  };
}

// Whether the built UI keeps Vue's and vue-i18n's warnings (a development build).
function buildWarns() {
  const scripts = path.join(uiDist, "js");
  return readdirSync(scripts)
    .filter((name) => name.endsWith(".js"))
    .some((name) => readFileSync(path.join(scripts, name), "utf8").includes(CONSOLE.vueWarning));
}

// ---------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------

step("the Status page renders the instance and its service", async () => {
  await page.goto(ready.url);
  await app.locator(SEL.page("status")).waitFor();
  const service = app.locator(SEL.statusService).first();
  await service.waitFor();
  assert.match(await service.textContent(), new RegExp(TEXT.serviceName));
  assert.match(await app.locator(SEL.page("status")).textContent(), new RegExp(ready.module_id));
  // The console listener hears the module's frame, not only the shell page.
  const frameElement = await page.locator(SEL.appFrame).elementHandle();
  const frame = await frameElement.contentFrame();
  await frame.evaluate((probe) => console.warn(probe), CONSOLE.frameProbe);
  await waitFor("the frame's console line", () =>
    consoleLines.some((line) => line.text === CONSOLE.frameProbe)
  );
  await shot("status");
});

step("the shell's API refuses a wrong token, another module and a malformed task", async () => {
  const token = await page.evaluate(() => JSON.parse(window.localStorage.loginInfo).token);
  const post = (where, body, bearer = token) =>
    fetch(`${new URL(ready.url).origin}/cluster-admin/api/${where}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
      body,
    });
  const task = JSON.stringify({ action: "list-tasks", data: null, extra: {} });
  assert.equal((await post(`module/${ready.module_id}/tasks`, task, "wrong")).status, 401);
  assert.equal((await post("module/mail1/tasks", task)).status, 403);
  assert.equal((await post(`module/${ready.module_id}/tasks`, "{not json")).status, 400);
  const accepted = await post(`module/${ready.module_id}/tasks`, task);
  assert.equal(accepted.status, 201);
  assert.match((await accepted.json()).data.id, /^[0-9a-f-]{36}$/);
  // Its notification is not hidden: the shell shows a toast once the task ends.
  await page.locator(SEL.shellToast).filter({ hasText: "list-tasks" }).first().waitFor();
});

step("the About page renders", async () => {
  await openPage("about");
  assert.match(await page.evaluate(() => window.location.hash), /page=about/);
  await shot("about");
});

step("Tasks shows the empty state before the mail server is set", async () => {
  await openPage("tasks");
  const empty = app.locator(SEL.tasksEmptyState);
  await empty.waitFor();
  assert.match(await empty.textContent(), new RegExp(TEXT.emptyState));
  assert.equal(await app.locator(SEL.createTask).count(), 0);
  await shot("tasks-empty");
  await app.locator(SEL.goToSettings).click();
  await app.locator(SEL.page("settings")).waitFor();
  assert.match(await page.evaluate(() => window.location.hash), /page=settings/);
});

step("Settings configures the mail server", async () => {
  await chooseFromCombo(SEL.mailServer, TEXT.mailServerOption);
  await shot("settings-chosen");
  const clickedAt = Date.now();
  await app.locator(SEL.settingsSave).click();
  const call = await waitForCallEnd("configure-module", clickedAt);
  assert.equal(call.status, "completed");
  assert.equal(call.data.mail_host, "127.0.0.1");
  await shot("settings-saved");
  await openPage("tasks");
  await app.locator(SEL.createTask).waitFor();
});

step("Save with an empty required field shows Required on it and sends nothing", async () => {
  await app.locator(SEL.createTask).click();
  found.badTaskId = await fillTaskForm({
    localuser: "user2",
    password: "not-the-password",
    hostname: "",
  });
  assert.match(found.badTaskId, /^[a-z0-9]{6}$/);
  found.createCallsBefore = (await callsOf("create-task")).length;
  await app.locator(SEL.taskModalSave).click();
  const modal = app.locator(SEL.taskModal);
  const hostError = fieldInvalid(modal, "remotehostname");
  await hostError.waitFor();
  assert.equal((await hostError.textContent()).trim(), TEXT.required);
  for (const name of ["localuser", "remoteusername", "remotepassword", "remoteport"]) {
    assert.equal(await fieldInvalid(modal, name).count(), 0, `${name} shows an error`);
  }
  assert.equal(await modal.locator(SEL.taskModalError).count(), 0);
  assert.equal((await callsOf("create-task")).length, found.createCallsBefore);
  await shot("create-task-required");
});

step("a wrong remote password shows on the form and creates no task", async () => {
  const modal = app.locator(SEL.taskModal);
  await modal.locator(`${SEL.field("remotehostname")} input`).fill(ready.remote_host);
  await app.locator(SEL.taskModalSave).click();
  const error = modal.locator(SEL.taskModalError);
  await error.waitFor();
  assert.match(await error.textContent(), new RegExp(TEXT.badCredentials));
  const bottom = modal.locator(SEL.taskModalErrorBottom);
  await bottom.waitFor();
  assert.match(await bottom.textContent(), new RegExp(TEXT.badCredentials));
  for (const name of ["remoteusername", "remotepassword"]) {
    const invalid = fieldInvalid(modal, name);
    await invalid.waitFor();
    assert.notEqual((await invalid.textContent()).trim(), "", `${name} has an empty message`);
  }
  assert.equal(await fieldInvalid(modal, "remotehostname").count(), 0);
  // Exactly one create-task since the first Save: the client-side check sent nothing.
  const calls = await callsOf("create-task");
  assert.equal(calls.length, found.createCallsBefore + 1);
  assert.equal(calls.pop().status, "validation-failed");
  const files = await inspect("task-files");
  assert.deepEqual(taskFiles(files, "user2", found.badTaskId), []);
  await shot("create-task-bad-password");
});

step("a good task is stored as the form says", async () => {
  const modal = app.locator(SEL.taskModal);
  await modal.locator(`${SEL.field("remotepassword")} input`).fill(ready.remote_password);
  await modal.locator(SEL.field("foldersynchronization")).getByText(TEXT.allExceptSelected).click();
  await modal.locator(`${SEL.field("exclude")} textarea`).fill(EXCLUSION_LINES.join("\n"));
  await app.locator(SEL.taskModalSave).click();
  await modal.waitFor({ state: "hidden" });
  found.taskId = found.badTaskId;
  const id = found.taskId;
  const call = await lastCall("create-task");
  assert.equal(call.status, "completed");
  assert.deepEqual(call.data, {
    task_id: id,
    localuser: "user2",
    remoteusername: ready.remote_user,
    remotepassword: "XXX",
    remotehostname: ready.remote_host,
    remoteport: ready.remote_port,
    security: "tls",
    delete_local: false,
    delete_remote: false,
    delete_remote_older: 0,
    sieve_enabled: false,
    exclude: EXCLUSION_LINES.join(","),
    cron: "",
    foldersynchronization: "exclusion",
  });
  const stored = await inspect(`task?localuser=user2&task_id=${id}`);
  assert.deepEqual(stored.env, expectedEnv(id));
  assert.equal(stored.pwd.matches_remote_password, true);
  found.storedEnv = stored.env;
});

step("the running task shows its progress and cannot be edited or deleted", async () => {
  const id = found.taskId;
  await row(id).waitFor();
  await waitForRunning(id);
  const folders = ready.remote_folders.map((folder) => `${TEXT.folderPrefix}${folder.name}`);
  const first = await waitFor("every progress line", async () => {
    const shown = await progressOf(id);
    const ok = Boolean(
      shown &&
        shown.bar &&
        shown.counts &&
        shown.counts.total > 0 &&
        shown.counts.done > 0 &&
        shown.barWidth > 0 &&
        /^[\d.]+ (B|KiB|MiB|GiB) \/ [\d.]+ (B|KiB|MiB|GiB)$/.test(shown.bytes) &&
        new RegExp(`^[\\d.]+ ${TEXT.rateUnit}$`).test(shown.rate) &&
        shown.folder &&
        folders.some((folder) => shown.folder.startsWith(folder))
    );
    return { ok, seen: shown, ...shown };
  });
  assert.ok(first.counts.total >= first.counts.done, JSON.stringify(first));
  const later = await waitFor("the progress to grow", async () => {
    const now = await progressOf(id);
    return {
      ok: Boolean(now && now.counts && now.counts.done > first.counts.done),
      seen: now,
      ...now,
    };
  });
  assert.ok(later.counts.total >= later.counts.done, JSON.stringify(later));
  await shot("task-running");
  await row(id).locator(SEL.rowMenu).click();
  for (const item of ["edit", "delete"]) {
    const button = menuButton(app.locator(SEL.rowMenuItem(item, id)));
    await button.waitFor();
    assert.equal(await button.isDisabled(), true, `${item} is enabled while the task runs`);
  }
  await app.locator(SEL.rowMenuItem("stop", id)).waitFor();
  await shot("task-running-menu");
  await row(id).locator(`${SEL.rowMenu} ${SEL.overflowTrigger}`).click();
  await app.locator(SEL.rowMenuItem("edit", id)).waitFor({ state: "hidden" });
});

step("the run ends with Success and its summary", async () => {
  const id = found.taskId;
  const lastSync = row(id).locator(SEL.rowLastSync);
  await lastSync.filter({ hasText: TEXT.success }).waitFor({ timeout: RUN_LIMIT_MS });
  assert.equal(await statusOf(id), TEXT.stopped);
  const copied = expectedCopied();
  assert.ok((await lastSync.textContent()).includes(TEXT.transferred(copied)));
  const local = await inspect("messages?user=user2");
  assert.equal(local.messages, copied);
  for (const folder of EXCLUDED_FOLDERS) {
    assert.ok(!local.folders[folder], `messages of the excluded ${folder} were copied`);
  }
  await shot("task-success");
});

// Opens task `id`'s Edit modal and checks that its password field is empty and says
// "Unchanged"; returns the modal.
async function openEditWithEmptyPassword(id) {
  await rowMenu(id, "edit");
  const modal = app.locator(SEL.taskModal);
  await modal.waitFor();
  const password = modal.locator(`${SEL.field("remotepassword")} input`);
  assert.equal(await password.inputValue(), "");
  assert.equal(await password.getAttribute("placeholder"), TEXT.passwordUnchanged);
  return modal;
}

step("editing changes only the schedule and keeps the stored password", async () => {
  const id = found.taskId;
  const before = await inspect(`task?localuser=user2&task_id=${id}`);
  assert.deepEqual(before.env, found.storedEnv);
  assert.equal(before.pwd.exists, true);
  assert.equal(before.pwd.mode, "600");
  assert.equal(before.pwd.matches_remote_password, true);
  const modal = await openEditWithEmptyPassword(id);
  await modal.locator(`${SEL.field("schedule")} select`).selectOption(TEXT.scheduleHours);
  await modal.locator(`${SEL.field("schedule-value")} input`).fill("2");
  await shot("task-edit");
  await app.locator(SEL.taskModalSave).click();
  await modal.waitFor({ state: "hidden" });
  await row(id).locator(SEL.rowFrequency).filter({ hasText: TEXT.everyTwoHours }).waitFor();
  // Saving restarts the task: its run finds everything copied already.
  await waitFor("the run the save started to end", async () => {
    const [task, pids] = await Promise.all([
      inspect(`task?localuser=user2&task_id=${id}`),
      runFiles(),
    ]);
    const ok = task.status !== before.status && !pids.includes(`user2_${id}.pid`);
    return { ok, seen: { status: task.status, pids } };
  });
  await refreshList();
  assert.equal(await statusOf(id), TEXT.stopped);
  const lastSync = await row(id).locator(SEL.rowLastSync).textContent();
  assert.ok(lastSync.includes(TEXT.success), lastSync);
  assert.ok(lastSync.includes(TEXT.summary(0, expectedCopied())), lastSync);
  const afterEdit = await inspect(`task?localuser=user2&task_id=${id}`);
  assert.deepEqual(afterEdit.env, { ...before.env, CRON: "2h" });
  assert.equal(afterEdit.pwd.matches_remote_password, true);
  assert.equal(afterEdit.pwd.modified_ms, before.pwd.modified_ms);
  assert.equal(afterEdit.pwd.mode, "600");
  await shot("task-edited");
});

step("Edit reopened after a save shows the stored task and an empty password", async () => {
  const id = found.taskId;
  const sent = (await callsOf("create-task")).length;
  const modal = await openEditWithEmptyPassword(id);
  assert.equal(
    await modal.locator(`${SEL.field("schedule")} select`).inputValue(),
    TEXT.scheduleHours
  );
  assert.equal(await modal.locator(`${SEL.field("schedule-value")} input`).inputValue(), "2");
  assert.equal(
    await modal.locator(`${SEL.field("exclude")} textarea`).inputValue(),
    EXCLUSION_LINES.join("\n")
  );
  await modal.getByRole("button", { name: TEXT.cancel, exact: true }).click();
  await modal.waitFor({ state: "hidden" });
  assert.equal((await callsOf("create-task")).length, sent);
});

step("the Information modal shows the counts Dovecot has in the task's folders", async () => {
  const id = found.taskId;
  await waitForStatus(id, TEXT.stopped);
  await rowMenu(id, "information");
  const modal = app.locator(SEL.informationModal);
  await modal.waitFor();
  await modal.locator(SEL.info("local-messages")).waitFor({ timeout: RUN_LIMIT_MS });
  const local = inScope(await inspect("messages?user=user2"));
  const remote = inScope(await inspect(`messages?user=${ready.remote_user}`));
  const shown = async (name) => digits(await modal.locator(SEL.info(name)).textContent());
  const seen = JSON.stringify({ local, remote });
  assert.equal(await shown("local-messages"), local.messages, seen);
  assert.equal(await shown("remote-messages"), remote.messages, seen);
  assert.equal(await shown("local-folders"), local.folders, seen);
  assert.equal(await shown("remote-folders"), remote.folders, seen);
  await shot("information");
  await page.keyboard.press("Escape");
  await modal.waitFor({ state: "hidden" });
});

step("Download log saves imapsync_<user>_<id>_<date>_<time>.log of the last run", async () => {
  const id = found.taskId;
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    rowMenu(id, "download-log"),
  ]);
  const name = download.suggestedFilename();
  assert.match(name, new RegExp(`^imapsync_user2_${id}_\\d{8}_\\d{4}\\.log$`));
  const saved = path.join(artifacts, name);
  await download.saveAs(saved);
  const content = readFileSync(saved, "utf8");
  assert.match(content, new RegExp(`Host1: ${ready.remote_user} on ${ready.remote_host}:`));
  // The last run is the one the edit started: it found every message of its folders copied.
  assert.match(content, new RegExp(`Host1 Nb messages: ${expectedCopied()} messages`));
  assert.match(content, /Messages transferred\s*:\s*0\b/);
});

step("the log view follows a running task", async () => {
  await app.locator(SEL.createTask).click();
  found.secondTaskId = await fillTaskForm({ localuser: "user1", password: ready.remote_password });
  await app.locator(SEL.taskModalSave).click();
  await app.locator(SEL.taskModal).waitFor({ state: "hidden" });
  const id = found.secondTaskId;
  await row(id).waitFor();
  await waitForRunning(id);
  await rowMenu(id, "show-log");
  const view = app.locator(SEL.logView);
  await view.waitFor();
  assert.equal(await view.locator(SEL.logFollow).getAttribute("data-checked"), "true");
  const content = view.locator(SEL.logContent);
  await content.waitFor();
  const firstLength = (await content.textContent()).length;
  await waitFor("the log to grow", async () => (await content.textContent()).length > firstLength);
  assert.match(await content.textContent(), new RegExp(`Host1: ${ready.remote_user}`));
  await shot("log-following");
  await view.locator(SEL.logClose).click();
  await view.waitFor({ state: "hidden" });
});

step("Stop ends a running task before it copied everything", async () => {
  const id = found.secondTaskId;
  assert.equal(await statusOf(id), TEXT.running);
  const clickedAt = Date.now();
  await rowMenu(id, "stop");
  const stop = await waitForCallEnd("stop-task", clickedAt);
  assert.equal(stop.status, "completed");
  await waitFor("the run's pid file to go", async () => {
    const pids = await runFiles();
    return { ok: !pids.includes(`user1_${id}.pid`), seen: pids };
  });
  await refreshList();
  assert.equal(await statusOf(id), TEXT.stopped);
  assert.equal(await row(id).locator(SEL.rowProgress).count(), 0);
  const copied = await inspect("messages?user=user1");
  assert.ok(copied.messages < Number(messages), `${copied.messages} messages copied`);
  await shot("task-stopped");
});

step("Start all tasks runs both tasks, Stop all tasks stops them", async () => {
  const tasks = [
    { localuser: "user2", id: found.taskId },
    { localuser: "user1", id: found.secondTaskId },
  ];
  const pidNames = tasks.map((task) => `${task.localuser}_${task.id}.pid`);
  for (const task of tasks) {
    assert.equal(await statusOf(task.id), TEXT.stopped);
  }
  // New mail at the remote server gives the first task, which copied everything, work again.
  const added = await inspect(`new-mail?user=${ready.remote_user}&count=${NEW_MAIL}`, "POST");
  assert.equal(added.added, NEW_MAIL);
  const startedAt = Date.now();
  await toolbarMenu("start-all");
  assert.equal((await waitForCallEnd("start-all-tasks", startedAt)).status, "completed");
  await waitFor("both tasks to run and show Running", async () => {
    const pids = await runFiles();
    const statuses = await Promise.all(tasks.map((task) => statusOf(task.id).catch(() => "")));
    const ok =
      pidNames.every((name) => pids.includes(name)) &&
      statuses.every((status) => status === TEXT.running);
    return { ok, seen: { pids, statuses } };
  });
  await shot("tasks-all-running");
  const stoppedAt = Date.now();
  await toolbarMenu("stop-all");
  assert.equal((await waitForCallEnd("stop-all-tasks", stoppedAt)).status, "completed");
  await waitFor("both runs to end", async () => {
    const pids = await runFiles();
    return { ok: pidNames.every((name) => !pids.includes(name)), seen: pids };
  });
  await refreshList();
  for (const task of tasks) {
    assert.equal(await statusOf(task.id), TEXT.stopped, `task ${task.id}`);
  }
  // Both were stopped before they copied everything.
  const first = await inspect("messages?user=user2");
  const firstTotal = expectedCopied() + NEW_MAIL;
  assert.ok(first.messages < firstTotal, `user2: ${first.messages} of ${firstTotal} copied`);
  const second = await inspect("messages?user=user1");
  const secondTotal = Number(messages) + NEW_MAIL;
  assert.ok(second.messages < secondTotal, `user1: ${second.messages} of ${secondTotal} copied`);
  await shot("tasks-all-stopped");
});

step("Delete removes a task and its files", async () => {
  const id = found.taskId;
  assert.ok(taskFiles(await inspect("task-files"), "user2", id).length > 0);
  await rowMenu(id, "delete");
  const modal = app.locator(SEL.deleteModal);
  await modal.waitFor();
  await modal.locator("input").fill(id);
  await shot("task-delete-confirm");
  await modal.getByRole("button", { name: TEXT.deleteConfirm }).click();
  await row(id).waitFor({ state: "detached" });
  assert.deepEqual(taskFiles(await inspect("task-files"), "user2", id), []);
  await shot("task-deleted");
});

step("the module kept to the agent protocol throughout", async () => {
  assert.deepEqual(await inspect("violations"), []);
});

step("no uncaught error and no console error in the page or the module frame", async () => {
  const problems = consoleLines.filter(
    (line) => line.kind === "uncaught" || (line.kind === "error" && !CONSOLE.favicon.test(line.url))
  );
  assert.deepEqual(problems, []);
});

step("no Vue or vue-i18n warning in the module frame", async (t) => {
  if (!buildWarns()) {
    t.skip("a production build: Vue and vue-i18n do not warn (build with --mode development)");
    return;
  }
  const warnings = consoleLines.filter(
    (line) => line.text.includes(CONSOLE.vueWarning) || line.text.includes(CONSOLE.i18nWarning)
  );
  assert.deepEqual(warnings, []);
});
