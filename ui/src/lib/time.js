// Times and durations as the Tasks page shows them: a short local date and time for the last
// sync, and compact durations ("4 s", "2 min 5 s", "1 h 3 min") for run lengths and ETAs.

// A Date in the short form of the UI's locale ("pt_BR" is written "pt-BR" for Intl).
export function formatShortDateTime(unixSeconds, locale) {
  const date = new Date(unixSeconds * 1000);
  const options = { dateStyle: "short", timeStyle: "short" };
  try {
    return date.toLocaleString(String(locale || "en").replace("_", "-"), options);
  } catch (error) {
    return date.toLocaleString(undefined, options);
  }
}

export function formatDuration(totalSeconds) {
  const seconds = Math.max(0, Math.round(Number(totalSeconds) || 0));
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (days > 0) {
    return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  }
  if (hours > 0) {
    return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  }
  return rest > 0 ? `${minutes} min ${rest} s` : `${minutes} min`;
}
