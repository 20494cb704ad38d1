// Drafts of what a liaison writes on a phone (issue #22): a progress report or a supervision reply
// stays on the device while it is written and until the services have it, so an upload that fails
// on a bad connection, a closed tab or a reload loses nothing; it is cleared when the upload
// succeeds. The text in localStorage; the photos and files in IndexedDB, which holds Blobs
// (best effort: a browser without it keeps the text only).
import { ref, watch, type Ref } from "vue";
import type { Evidence } from "./evidence";

const PREFIX = "reform.draft.";
const DATABASE = "reform-drafts";
const STORE = "files";

interface Stored<T> {
  savedAt: number;
  value: T;
}

function loadText<T>(key: string): Stored<T> | null {
  try {
    const stored = JSON.parse(localStorage.getItem(PREFIX + key) ?? "null") as Stored<T> | null;
    return stored && typeof stored.savedAt === "number" ? stored : null;
  } catch {
    return null;
  }
}

function saveText<T>(key: string, value: T | null): void {
  try {
    if (value === null) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, JSON.stringify({ savedAt: Date.now(), value }));
  } catch {
    /* storage full or disabled: the form still works, without a draft */
  }
}

let opening: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  opening.catch(() => { opening = undefined; });
  return opening;
}

async function files<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest): Promise<T | undefined> {
  try {
    const db = await database();
    return await new Promise<T | undefined>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result as T | undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } catch {
    return undefined; // no IndexedDB (some private modes): files are not kept
  }
}

/** A form's draft: `open(key, blank)` fills the form with what was left under that key (else the
 * blank form), and from then on every change is kept until `clear()`. */
export function useDraft<T extends object>(form: T, evidence: Ref<Evidence[]>) {
  let key = "";
  let blank = "";
  /** When the restored draft was last saved, if one was restored. */
  const restoredAt = ref<number | null>(null);

  async function open(draftKey: string, empty: T): Promise<void> {
    key = draftKey;
    blank = JSON.stringify(empty);
    const text = loadText<T>(key);
    Object.assign(form, empty, text?.value ?? {});
    evidence.value = (await files<Evidence[]>("readonly", (store) => store.get(key))) ?? [];
    restoredAt.value = text || evidence.value.length ? text?.savedAt ?? Date.now() : null;
  }

  watch(() => JSON.stringify(form), (value) => {
    if (key) saveText(key, value === blank ? null : (JSON.parse(value) as T));
  });
  watch(evidence, (value) => {
    if (!key) return;
    const draftKey = key;
    // Plain objects: IndexedDB cannot clone Vue's reactive proxies (File objects are never proxied).
    const plain = value.map(({ key: id, original, scaled }) => ({ key: id, original, scaled }));
    void files("readwrite", (store) => (plain.length ? store.put(plain, draftKey) : store.delete(draftKey)));
  });

  async function clear(): Promise<void> {
    if (!key) return;
    saveText(key, null);
    await files("readwrite", (store) => store.delete(key));
    restoredAt.value = null;
  }

  return { open, clear, restoredAt };
}
