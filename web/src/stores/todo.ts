// A unit's to-do list (待办, issue #22): what the liaison must act on, and its count on the menu.
// GET /api/tasks/v1/todo (reform_tasks) plus the unit's overdue 12345 orders (hotline_ingest's
// work-order list with overdue=true, which for a unit holds only the orders it handles). Polled
// while a unit is signed in, and again whenever the app comes back to the foreground.
import { defineStore } from "pinia";
import { api, errorText, type Page } from "../api/http";
import { useInbox } from "./inbox";
import { useSession } from "./session";

export type TodoKind = "milestone_overdue" | "milestone_due" | "progress_report_returned" | "supervision" | "rating"
  | "instruction" | "weekly_report" | "quarterly_report" | "problem_list_returned" | "message";

export interface TodoItem {
  kind: TodoKind;
  id: number;
  title: string;
  due_on: string | null;
  /** 0: due today; negative: days overdue. */
  days_left: number | null;
  overdue: boolean;
  /** The SPA page that handles it. */
  route: string;
  task_number: number | null;
  task_title: string | null;
  milestone_ordinal: number | null;
  milestone_title: string | null;
  /** 三色预警 of the item's task today (issue #27); null when the item concerns no task. */
  warning_light?: "green" | "yellow" | "red" | null;
  warning_reason?: string | null;
}

/** One of the unit's tasks showing a yellow or red light (三色预警, issue #27). */
export interface TaskWarning {
  task_number: number;
  task_title: string;
  warning_light: "yellow" | "red";
  warning_reason: string;
  route: string;
}

export interface Todo {
  unit_code: string;
  unit_name: string;
  as_of: string;
  due_within_days: number;
  total: number;
  counts: Record<TodoKind, number>;
  items: TodoItem[];
  warnings?: TaskWarning[];
}

export interface OverdueOrder {
  order_no: string;
  title: string | null;
  status: string;
  received_at: string | null;
  due_at: string | null;
}

/** 催办 of the unit's 12345 orders still past their limit (issue #26; GET /api/hotline/v1/reminders). */
export interface OrderReminder {
  id: number;
  order_no: string;
  limit_kind: "signing" | "closing";
  deadline: string;
  step: number;
  recipient: string;
  title: string;
  sent_at: string;
}

/** The overdue 12345 orders listed on the page; the count covers them all. */
export const ORDERS_LISTED = 5;
const POLL_MS = 60_000;
let timer: ReturnType<typeof setInterval> | undefined;

const onForeground = () => {
  if (document.visibilityState === "visible") void useTodo().refresh();
};

export const useTodo = defineStore("todo", {
  state: () => ({
    todo: null as Todo | null,
    orders: [] as OverdueOrder[],
    ordersTotal: 0,
    reminders: [] as OrderReminder[],
    remindersTotal: 0,
    loading: false,
    error: "",
  }),
  getters: {
    /** What the menu shows: everything the unit still has to do. */
    count: (state) => (state.todo?.total ?? 0) + state.ordersTotal,
  },
  actions: {
    async refresh(): Promise<void> {
      if (!useSession().isUnit) return;
      this.loading = true;
      try {
        const [todo] = await Promise.all([api.get<Todo>("/api/tasks/v1/todo"), this.refreshOrders()]);
        this.todo = todo;
        this.error = "";
      } catch (exc) {
        this.error = errorText(exc, "待办加载失败");
      } finally {
        this.loading = false;
      }
    },
    async refreshOrders(): Promise<void> {
      try {
        const page = await api.get<Page<OverdueOrder>>("/api/hotline/v1/work-orders",
          { overdue: true, limit: ORDERS_LISTED });
        this.orders = page.items;
        this.ordersTotal = page.total;
        // 催办 of those orders and of unsigned ones (not counted again on the menu: the same orders).
        const reminders = await api.get<Page<OrderReminder>>("/api/hotline/v1/reminders",
          { open: true, limit: ORDERS_LISTED });
        this.reminders = reminders.items;
        this.remindersTotal = reminders.total;
      } catch {
        /* the hotline service is down: the tasks' to-do still shows, the last orders stay */
      }
    },
    /** Read a message from the list (the read receipt) and return the page it points to. */
    async read(id: number): Promise<string> {
      const message = await api.post<{ link: string | null }>(`/api/tasks/v1/messages/${id}/read`);
      void this.refresh();
      void useInbox().refresh();
      return message.link ?? "/inbox";
    },
    start(): void {
      this.stop();
      const session = useSession();
      if (this.todo && this.todo.unit_code !== session.me?.unit_code) this.$reset(); // another user signed in
      if (!session.isUnit) return;
      void this.refresh();
      timer = setInterval(() => void this.refresh(), POLL_MS);
      document.addEventListener("visibilitychange", onForeground);
    },
    stop(): void {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onForeground);
    },
  },
});
