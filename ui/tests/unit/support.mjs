// Shared by the unit tests: the English texts the admin reads (ui/public/i18n/en) and the
// input schemas the agent enforces (imageroot/actions/<action>/validate-input.json).

import { readFileSync } from "node:fs";

const UI_DIR = new URL("../../", import.meta.url);

function readJson(relativePath, base) {
  return JSON.parse(readFileSync(new URL(relativePath, base), "utf8"));
}

export const englishTexts = readJson("public/i18n/en/translation.json", UI_DIR);
export const createTaskSchema = readJson("../imageroot/actions/create-task/validate-input.json", UI_DIR);
export const configureModuleSchema = readJson(
  "../imageroot/actions/configure-module/validate-input.json",
  UI_DIR
);

// Whether vue-i18n finds an English text at a dotted key ("task_modal.required").
export function hasEnglishText(key) {
  const [section, ...rest] = key.split(".");
  const text = englishTexts[section] && englishTexts[section][rest.join(".")];
  return typeof text === "string";
}

// The English text of `section.key` with its {placeholders} filled in, as vue-i18n renders it;
// throws when the key is missing, which would show the raw key to the admin.
export function english(section, key, params = {}) {
  const text = englishTexts[section] && englishTexts[section][key];
  if (typeof text !== "string") {
    throw new Error(`no English text for ${section}.${key}`);
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

const TYPE_CHECKS = {
  string: (value) => typeof value === "string",
  integer: (value) => Number.isInteger(value),
  boolean: (value) => typeof value === "boolean",
  object: (value) => value !== null && typeof value === "object" && !Array.isArray(value),
};

function valueProblems(value, rules, path) {
  if (rules.anyOf) {
    const fits = rules.anyOf.some((branch) => valueProblems(value, branch, path).length === 0);
    if (!fits) {
      return [`${path}: matches none of anyOf`];
    }
  }
  if (rules.type && !TYPE_CHECKS[rules.type](value)) {
    return [`${path}: ${JSON.stringify(value)} is not of type ${rules.type}`];
  }
  const problems = [];
  if (rules.enum && !rules.enum.includes(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(rules.enum)}`);
  }
  if (rules.minimum !== undefined && value < rules.minimum) {
    problems.push(`${path}: ${value} < ${rules.minimum}`);
  }
  if (rules.maximum !== undefined && value > rules.maximum) {
    problems.push(`${path}: ${value} > ${rules.maximum}`);
  }
  if (rules.minLength !== undefined && value.length < rules.minLength) {
    problems.push(`${path}: shorter than ${rules.minLength}`);
  }
  if (rules.pattern && !new RegExp(rules.pattern, "u").test(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} does not match ${rules.pattern}`);
  }
  return problems;
}

// The create-task schema rules the input breaks (type, enum, range, length, pattern,
// required, no extra properties; `format` is left to the agent). [] when it is accepted.
export function createTaskSchemaProblems(input) {
  const schema = createTaskSchema;
  const problems = valueProblems(input, { type: "object" }, "input");
  if (problems.length) {
    return problems;
  }
  for (const name of schema.required) {
    if (!(name in input)) {
      problems.push(`${name}: required`);
    }
  }
  for (const [name, value] of Object.entries(input)) {
    const rules = schema.properties[name];
    if (!rules) {
      problems.push(`${name}: not allowed`);
    } else {
      problems.push(...valueProblems(value, rules, name));
    }
  }
  return problems;
}
