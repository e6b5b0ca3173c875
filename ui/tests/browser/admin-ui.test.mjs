// Browser scenarios of issue 5: the built module UI inside ui-shell (the stand-in NS8 admin
// shell), driven by Playwright with Debian's Chromium, against the real module actions,
// supervisor and Dovecot. One shell process and one browser; the steps run in order and
// build on each other (a step is skipped once an earlier one failed).
//
// Run: node --test ui/tests/browser/   (scripts/test-ui builds everything first)
// Environment: UI_SHELL_BIN (default target/debug/ui-shell), UI_DIST (default ui/dist),
// UI_ARTIFACTS (default target/ui-artifacts: NN-name.png screenshots, the downloaded log,
// ui-shell.log), UI_MESSAGES and UI_THROTTLE (the remote corpus and link speed).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

// ---------------------------------------------------------------------------------------
// Selectors and texts: the contract's data-test hooks and English texts, in one place.
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
  row: (id) => `${hook("task-row")}[data-task-id="${id}"]`,
  rowStatus: hook("task-status"),
  rowFrequency: hook("task-frequency"),
  rowLastSync: hook("last-sync"),
  rowProgress: hook("task-progress"),
  rowProgressMessages: hook("progress-messages"),
  rowMenu: hook("task-menu"),
  rowMenuItem: (item, id) => `${hook(`menu-${item}`)}[data-task-id="${id}"]`,
  taskModal: hook("task-modal"),
  field: (name) => hook(`field-${name}`),
  taskModalSave: hook("task-modal-save"),
  taskModalError: hook("task-modal-error"),
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
  badCredentials: "The remote server refused the remote user or password",
  passwordUnchanged: "Unchanged",
  scheduleHours: "hours",
  everyTwoHours: "Every 2 hours",
  deleteConfirm: "I understand, delete",
  serviceName: "imapsync",
};

// ---------------------------------------------------------------------------------------
// Set-up: paths, the shell process, the browser.
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

let shell; // the ui-shell child process
let ready; // its ready line
let browser;
let page; // the shell page
let app; // the module UI's frame
let shotNumber = 0;
let failed = false;
// What the steps learn and hand on.
const found = { badTaskId: "", taskId: "", secondTaskId: "", pwdBefore: null };

// Removes what an earlier run left in the artifacts directory (and nothing else).
function clearArtifacts() {
  mkdirSync(artifacts, { recursive: true });
  for (const name of readdirSync(artifacts)) {
    if (/^\d\d-.*\.png$|^imapsync_.*\.log$|^ui-shell\.log$/.test(name)) {
      rmSync(path.join(artifacts, name));
    }
  }
}

async function startShell() {
  clearArtifacts();
  const log = createWriteStream(path.join(artifacts, "ui-shell.log"));
  shell = spawn(
    shellBin,
    ["--ui-dist", uiDist, "--messages", messages, "--throttle", throttle],
    { stdio: ["pipe", "pipe", "pipe"] }
  );
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
  app = page.frameLocator(SEL.appFrame);
});

after(async () => {
  await browser?.close();
  await stopShell();
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
      await body();
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

// A `/_test/...` answer of the shell.
async function inspect(what) {
  const response = await fetch(`${ready.inspect}/${what}`);
  const body = await response.json();
  assert.equal(response.status, 200, `${what}: ${JSON.stringify(body)}`);
  return body;
}

// Polls `probe` until it returns a truthy value.
async function waitFor(what, probe, limit = ACTION_LIMIT_MS) {
  const deadline = Date.now() + limit;
  let last;
  for (;;) {
    last = await probe();
    if (last) {
      return last;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
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

async function rowMenu(id, item) {
  await row(id).locator(SEL.rowMenu).click();
  await app.locator(SEL.rowMenuItem(item, id)).click();
}

// The messages done and total a row's progress shows ("<done> / <total> messages").
async function progressOf(id) {
  const text = await row(id).locator(SEL.rowProgressMessages).textContent({ timeout: 2000 });
  const match = /([\d,.\s]+)\/\s*([\d,.\s]+)/.exec(text || "");
  return match ? { done: digits(match[1]), total: digits(match[2]) } : null;
}

function digits(text) {
  return Number(String(text).replace(/\D/g, ""));
}

function taskFiles(files, localuser, id) {
  return [...files.imapsync, ...files.cron].filter((name) =>
    name.startsWith(`${localuser}_${id}.`)
  );
}

async function lastCall(action) {
  const calls = await inspect("calls");
  return calls.filter((call) => call.action === action).pop();
}

async function fillTaskForm({ localuser, password }) {
  const modal = app.locator(SEL.taskModal);
  await modal.waitFor();
  await chooseFromCombo(`${SEL.taskModal} ${SEL.field("localuser")}`, localuser);
  await modal.locator(`${SEL.field("remoteusername")} input`).fill(ready.remote_user);
  await modal.locator(`${SEL.field("remotepassword")} input`).fill(password);
  await modal.locator(`${SEL.field("remotehostname")} input`).fill(ready.remote_host);
  await modal.locator(`${SEL.field("remoteport")} input`).fill(String(ready.remote_port));
  await modal.locator(`${SEL.field("security")} select`).selectOption("tls");
  return modal.locator(`${SEL.field("task-id")} input`).inputValue();
}

async function waitForRunning(id) {
  await waitFor(`task ${id} to show progress`, async () => {
    const status = await row(id).locator(SEL.rowStatus).textContent({ timeout: 2000 });
    return status.includes(TEXT.running) && (await progressOf(id).catch(() => null));
  });
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
  await app.locator(SEL.settingsSave).click();
  const call = await waitFor("configure-module to end", async () => {
    const last = await lastCall("configure-module");
    return last && last.status !== "running" && last;
  });
  assert.equal(call.status, "completed");
  assert.equal(call.data.mail_host, "127.0.0.1");
  await shot("settings-saved");
  await openPage("tasks");
  await app.locator(SEL.createTask).waitFor();
});

step("a wrong remote password shows on the form and creates no task", async () => {
  await app.locator(SEL.createTask).click();
  found.badTaskId = await fillTaskForm({ localuser: "user2", password: "not-the-password" });
  assert.match(found.badTaskId, /^[a-z0-9]{6}$/);
  await app.locator(SEL.taskModalSave).click();
  const error = app.locator(SEL.taskModalError);
  await error.waitFor();
  assert.match(await error.textContent(), new RegExp(TEXT.badCredentials));
  assert.equal((await lastCall("create-task")).status, "validation-failed");
  const files = await inspect("task-files");
  assert.deepEqual(taskFiles(files, "user2", found.badTaskId), []);
  await shot("create-task-bad-password");
});

step("a good task runs with growing progress, then shows Success and its summary", async () => {
  const modal = app.locator(SEL.taskModal);
  await modal.locator(`${SEL.field("remotepassword")} input`).fill(ready.remote_password);
  await app.locator(SEL.taskModalSave).click();
  await modal.waitFor({ state: "hidden" });
  found.taskId = found.badTaskId;
  const id = found.taskId;
  await row(id).waitFor();
  await waitForRunning(id);
  const first = await progressOf(id);
  const later = await waitFor("the progress to grow", async () => {
    const now = await progressOf(id).catch(() => null);
    return now && now.done > first.done && now;
  });
  assert.ok(later.total > 0 && later.total >= later.done, JSON.stringify(later));
  await shot("task-running");
  const lastSync = row(id).locator(SEL.rowLastSync);
  await waitFor(
    "the run to end with Success",
    async () => (await lastSync.textContent()).includes(TEXT.success),
    RUN_LIMIT_MS
  );
  assert.match(await row(id).locator(SEL.rowStatus).textContent(), new RegExp(TEXT.stopped));
  assert.match(await lastSync.textContent(), new RegExp(`${messages} transferred`));
  const local = await inspect("messages?user=user2");
  assert.equal(local.messages, Number(messages));
  await shot("task-success");
});

step("editing keeps the stored password and shows the new schedule", async () => {
  const id = found.taskId;
  const before = await inspect(`task?localuser=user2&task_id=${id}`);
  assert.equal(before.pwd.exists, true);
  assert.equal(before.pwd.mode, "600");
  assert.equal(before.pwd.matches_remote_password, true);
  await rowMenu(id, "edit");
  const modal = app.locator(SEL.taskModal);
  await modal.waitFor();
  const password = modal.locator(`${SEL.field("remotepassword")} input`);
  assert.equal(await password.inputValue(), "");
  assert.equal(await password.getAttribute("placeholder"), TEXT.passwordUnchanged);
  await modal.locator(`${SEL.field("schedule")} select`).selectOption(TEXT.scheduleHours);
  await modal.locator(`${SEL.field("schedule-value")} input`).fill("2");
  await shot("task-edit");
  await app.locator(SEL.taskModalSave).click();
  await modal.waitFor({ state: "hidden" });
  await waitFor("the new schedule in the table", async () =>
    (await row(id).locator(SEL.rowFrequency).textContent()).includes(TEXT.everyTwoHours)
  );
  const afterEdit = await inspect(`task?localuser=user2&task_id=${id}`);
  assert.equal(afterEdit.env.CRON, "2h");
  assert.equal(afterEdit.pwd.matches_remote_password, true);
  assert.equal(afterEdit.pwd.modified_ms, before.pwd.modified_ms);
  assert.equal(afterEdit.pwd.mode, "600");
  await shot("task-edited");
});

step("the Information modal shows the counts Dovecot has", async () => {
  const id = found.taskId;
  await waitFor("the task to be idle", async () =>
    (await row(id).locator(SEL.rowStatus).textContent()).includes(TEXT.stopped)
  );
  await rowMenu(id, "information");
  const modal = app.locator(SEL.informationModal);
  await modal.waitFor();
  await modal.locator(SEL.info("local-messages")).waitFor({ timeout: RUN_LIMIT_MS });
  const local = await inspect("messages?user=user2");
  const remote = await inspect(`messages?user=${ready.remote_user}`);
  const shown = async (name) => digits(await modal.locator(SEL.info(name)).textContent());
  assert.equal(await shown("local-messages"), local.messages);
  assert.equal(await shown("remote-messages"), remote.messages);
  assert.equal(await shown("local-folders"), local.folder_count);
  assert.equal(await shown("remote-folders"), remote.folder_count);
  await shot("information");
  await page.keyboard.press("Escape");
  await modal.waitFor({ state: "hidden" });
});

step("Download log saves imapsync_<user>_<id>_<date>_<time>.log with the run's lines", async () => {
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
  assert.match(content, /Messages transferred\s*:/);
  assert.match(content, new RegExp(`Host1 Nb messages: ${messages} messages`));
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
  assert.match(await row(id).locator(SEL.rowStatus).textContent(), new RegExp(TEXT.running));
  await rowMenu(id, "stop");
  await waitFor("the task to show Stopped", async () =>
    (await row(id).locator(SEL.rowStatus).textContent()).includes(TEXT.stopped)
  );
  const stop = await waitFor("stop-task to end", async () => {
    const last = await lastCall("stop-task");
    return last && last.status !== "running" && last;
  });
  assert.equal(stop.status, "completed");
  await waitFor("the run's pid file to go", async () => {
    const files = await inspect("task-files");
    return !files.imapsync.includes(`user1_${id}.pid`);
  });
  await app.locator(SEL.refresh).click();
  await waitFor("the refreshed row to still show Stopped", async () =>
    (await row(id).locator(SEL.rowStatus).textContent()).includes(TEXT.stopped)
  );
  const copied = await inspect("messages?user=user1");
  assert.ok(copied.messages < Number(messages), `${copied.messages} messages copied`);
  await shot("task-stopped");
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
