// Maintenance windows: weekly hours in a time zone inside which cutover may start. Pure
// code on Intl, so the workflow can compute its durable wait from its own clock.
export interface MaintenanceWindow {
  /** IANA time zone, e.g. Europe/Berlin */
  timeZone: string;
  /** Days of the week on which the window opens: sun, mon, tue, wed, thu, fri, sat */
  days: string[];
  /** HH:MM local time; an end before the start closes the window the next day. */
  start: string;
  end: string;
}

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MINUTE = 60_000;

export function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

// Formatters are costly to make and safe to share: one per time zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday (0 = Sunday) and minute of the day at `at` in the window's time zone. */
function localTime(window: MaintenanceWindow, at: number): { day: number; minute: number } {
  let format = formatters.get(window.timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: window.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(window.timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { day: DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3)), minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function insideWindow(window: MaintenanceWindow, at: number): boolean {
  const { day, minute } = localTime(window, at);
  const start = minutes(window.start);
  const end = minutes(window.end);
  const opensOn = (d: number) => window.days.includes(DAYS[(d + 7) % 7]);
  if (start < end) return opensOn(day) && minute >= start && minute < end;
  // Across midnight: the evening of an opening day, or the morning after one.
  return (opensOn(day) && minute >= start) || (opensOn(day - 1) && minute < end);
}

/** Milliseconds from `now` until the window is open (0 when it is); within 8 days. */
export function msUntilWindow(window: MaintenanceWindow, now: number): number {
  if (insideWindow(window, now)) return 0;
  const firstMinute = Math.ceil(now / MINUTE) * MINUTE;
  for (let at = firstMinute; at < now + 8 * 24 * 60 * MINUTE; at += MINUTE) {
    if (insideWindow(window, at)) return at - now;
  }
  throw new Error(`the maintenance window ${JSON.stringify(window)} never opens`);
}
