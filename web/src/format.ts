// Money and time as the shop shows them: Rupiah with id-ID grouping and no decimals
// ("Rp 1.250.000"), times in the shop's zone (WIB, Asia/Jakarta, by default).
import { lang } from './i18n';

let timeZone = 'Asia/Jakarta';
export function setTimeZone(tz: string): void {
  if (tz) timeZone = tz;
}
export function shopTimeZone(): string {
  return timeZone;
}

const rupiahFmt = new Intl.NumberFormat('id-ID', {
  style: 'currency',
  currency: 'IDR',
  minimumFractionDigits: 0,
  maximumFractionDigits: 0,
});

export function rupiah(amount: number | null | undefined, currency = 'IDR'): string {
  const n = amount ?? 0;
  if (currency && currency !== 'IDR') {
    // Other currencies keep their minor units (CONTRACT.md "Money").
    try {
      const f = new Intl.NumberFormat('id-ID', { style: 'currency', currency });
      const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
      return f.format(n / 10 ** digits);
    } catch {
      return `${currency} ${n}`;
    }
  }
  return rupiahFmt.format(n);
}

export function number(n: number | null | undefined): string {
  return new Intl.NumberFormat(lang() === 'id' ? 'id-ID' : 'en-US').format(n ?? 0);
}

function zoneSuffix(): string {
  return timeZone === 'Asia/Jakarta' ? ' WIB' : timeZone === 'Asia/Makassar' ? ' WITA' : timeZone === 'Asia/Jayapura' ? ' WIT' : '';
}

function locale(): string {
  return lang() === 'id' ? 'id-ID' : 'en-GB';
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = new Intl.DateTimeFormat(locale(), {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d);
  return s + zoneSuffix();
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { timeZone, day: 'numeric', month: 'long', year: 'numeric' }).format(d);
}

export function time(d: Date): string {
  return (
    new Intl.DateTimeFormat(locale(), { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d) +
    zoneSuffix()
  );
}

// The shop-local calendar date ("2026-11-24") of an instant.
export function localDate(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function shortDay(ymd: string): string {
  const d = new Date(`${ymd}T12:00:00Z`);
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(d);
}

// A message or chat time: "13.05 WIB" today, "23 Nov 13.05 WIB" on another day (shop zone).
export function clock(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hm = new Intl.DateTimeFormat(locale(), { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
  if (localDate(d) === localDate(new Date())) return hm + zoneSuffix();
  const day = new Intl.DateTimeFormat(locale(), { timeZone, day: 'numeric', month: 'short' }).format(d);
  return `${day} ${hm}${zoneSuffix()}`;
}
