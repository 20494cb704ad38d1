// The programme (改革工程, one a year) the user works on (issue #21). Without a choice the services
// use their default, the newest programme that has started, and the SPA sends no parameter; a
// choice is remembered per user (localStorage) and sent with every reform_tasks and evaluation call
// (src/api/http.ts adds it, once, for every page).
import { defineStore } from "pinia";

export interface ProgrammeSettings {
  lagging_after_days: number;
  seriously_lagging_after_days: number;
}

export interface Programme {
  code: string;
  name: string;
  year: number;
  starts_on: string;
  ends_on: string;
  benchmark_city: string;
  settings: ProgrammeSettings;
  /** When the office closed the year (结束年度): read-only from then on; null while open. */
  closed_at: string | null;
  closed_by: string | null;
}

/** What is remembered of a choice: the code, and its year for the pages' periods (known before the
 * list has loaded, so a reload asks for the right year straight away). */
interface Choice {
  code: string;
  year: number;
}

const storageKey = (username: string) => `reform.programme:${username}`;

function readChoice(username: string): Choice | null {
  if (!username) return null;
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey(username)) ?? "null") as Choice | null;
    return stored && typeof stored.code === "string" && typeof stored.year === "number" ? stored : null;
  } catch {
    return null;
  }
}

/** Today in the office's time zone (Asia/Shanghai), as YYYY-MM-DD. */
function officeToday(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

export const useProgramme = defineStore("programme", {
  state: () => ({
    /** Whose choice is loaded (a different user signing in reads their own). */
    username: "",
    choice: null as Choice | null,
    /** Every programme, newest first (GET /api/tasks/v1/programmes). */
    items: [] as Programme[],
  }),
  getters: {
    /** The code sent with API calls: the user's choice, or "" for the services' default. */
    chosen: (state) => state.choice?.code ?? "",
    /** The services' default, as they choose it: the newest programme that has started. */
    defaultProgramme: (state): Programme | null => {
      const today = officeToday();
      return state.items.find((p) => p.starts_on <= today) ?? state.items[0] ?? null;
    },
  },
  actions: {
    /** Read the signed-in user's choice (cheap; called before each API call). */
    sync(username: string): void {
      if (username === this.username) return;
      this.username = username;
      this.choice = readChoice(username);
    },
    /** The programme the pages show: the choice, else the default (null until the list loads). */
    current(): Programme | null {
      return this.items.find((p) => p.code === this.chosen) ?? (this.chosen ? null : this.defaultProgramme);
    },
    /** Whether the programme the pages show is closed: its pages are read-only (the server refuses
     * every write with a 409 anyway). */
    closed(): boolean {
      return Boolean(this.current()?.closed_at);
    },
    /** The year the pages' periods are in: the chosen programme's, else this year. */
    year(): number {
      return this.choice?.year ?? this.defaultProgramme?.year ?? Number(officeToday().slice(0, 4));
    },
    /** Take the list (after loading it); a remembered programme that no longer exists is forgotten. */
    setItems(items: Programme[]): void {
      this.items = items;
      if (this.choice && !items.some((p) => p.code === this.choice?.code)) this.choose("");
    },
    /** Choose a programme ("" for the default) and remember it for this user. */
    choose(code: string): void {
      const programme = this.items.find((p) => p.code === code);
      this.choice = programme ? { code: programme.code, year: programme.year } : null;
      if (!this.username) return;
      if (this.choice) localStorage.setItem(storageKey(this.username), JSON.stringify(this.choice));
      else localStorage.removeItem(storageKey(this.username));
    },
  },
});
