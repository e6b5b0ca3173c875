// The words for a server validation error key: the key's own text in the page's i18n section
// when it has one, else a generic "Required" (`<field>_is_required` from the backend,
// `<parameter>_required` from the agent's schema check) or "Invalid value". The admin never
// reads a raw error key.

const REQUIRED_SUFFIXES = ["_is_required", "_required"];

export function isRequiredError(error) {
  const key = String(error || "");
  return REQUIRED_SUFFIXES.some((suffix) => key.endsWith(suffix));
}

// The i18n key of the text for `error` in `section` ("task_modal", "settings"); `hasText(key)`
// says whether a text exists for a key (vue-i18n's $te).
export function serverErrorTextKey(section, error, hasText) {
  const own = `${section}.${error}`;
  if (error && hasText(own)) {
    return own;
  }
  return isRequiredError(error) ? `${section}.required` : `${section}.invalid_value`;
}
