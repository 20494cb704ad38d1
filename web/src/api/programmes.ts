// The programme list behind the header's switcher (and the admin's 年度管理, which refreshes it after
// creating a year). Its own module: the store stays free of the HTTP client, which reads the store.
import { useProgramme, type Programme } from "../stores/programme";
import { api, type Page } from "./http";

/** A domain (领域) of a programme's task list, in its order. */
export interface Domain {
  code: string;
  name: string;
  ordinal: number;
}

/** Load every programme, newest first, into the store (a failure throws). */
export async function fetchProgrammes(): Promise<Programme[]> {
  const store = useProgramme();
  store.setItems((await api.get<Page<Programme>>("/api/tasks/v1/programmes")).items);
  return store.items;
}

/** The same for the switcher: a failure leaves the last list (the pages show their own errors). */
export async function loadProgrammes(): Promise<Programme[]> {
  try {
    return await fetchProgrammes();
  } catch {
    return useProgramme().items;
  }
}

/** A programme as the switcher names it: its year (and its code when that is not the year). */
export function programmeLabel(programme: Programme): string {
  return programme.code === String(programme.year) ? `${programme.year}年度` : `${programme.year}年度（${programme.code}）`;
}
