// The unit inbox's unread count, shown on the menu; polled while signed in, refreshed on demand.
import { defineStore } from "pinia";
import { api } from "../api/http";

const POLL_MS = 30_000;
let timer: ReturnType<typeof setInterval> | undefined;

export const useInbox = defineStore("inbox", {
  state: () => ({ unread: 0 }),
  actions: {
    async refresh(): Promise<void> {
      try {
        this.unread = (await api.get<{ unread: number }>("/api/tasks/v1/messages/unread-count")).unread;
      } catch {
        /* the count is a hint: a failed poll keeps the last value */
      }
    },
    start(): void {
      this.stop();
      void this.refresh();
      timer = setInterval(() => void this.refresh(), POLL_MS);
    },
    stop(): void {
      clearInterval(timer);
    },
  },
});
