// The name a downloaded task log gets: imapsync_<localuser>_<task_id>_<YYYYMMDD>_<HHMM>.log,
// stamped with the local time of the download.

function twoDigits(number) {
  return String(number).padStart(2, "0");
}

export function logFileName(localuser, taskId, when = new Date()) {
  const day = `${when.getFullYear()}${twoDigits(when.getMonth() + 1)}${twoDigits(when.getDate())}`;
  const time = `${twoDigits(when.getHours())}${twoDigits(when.getMinutes())}`;
  return `imapsync_${localuser}_${taskId}_${day}_${time}.log`;
}
