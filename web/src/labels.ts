// Chinese labels for the API's English codes (docs/GLOSSARY.md: one name per idea).
import type { Role } from "./stores/session";

export const MILESTONE_STATUS: Record<string, string> = {
  not_due: "未到期", on_track: "按期推进", done: "按期完成", done_late: "逾期完成",
  lagging: "滞后", seriously_lagging: "严重滞后",
};
export const STATUS_COLORS: Record<string, string> = {
  not_due: "#c0c4cc", on_track: "#409eff", done: "#67c23a", done_late: "#e6a23c",
  lagging: "#f56c6c", seriously_lagging: "#8b0000",
};
export const UNIT_KINDS: Record<string, string> = {
  office: "改革办", department: "市直部门", district: "区县", other: "其他",
};
export const ROLES: Record<Role | "service", string> = {
  office_admin: "改革办管理员", office_leader: "改革办领导", office_staff: "改革办工作人员", lead_unit: "牵头单位", unit: "责任单位",
  viewer: "只读", hotline_platform: "热线平台接口", service: "服务账号",
};
export const ORDER_STATUS: Record<string, string> = {
  created: "已受理", assigned: "已派单", accepted: "已签收", replied: "已答复", closed: "已办结",
  visited: "已回访", returned: "已退回",
};
export const ORDER_KINDS: Record<string, string> = {
  consult: "咨询", complaint: "投诉", help: "求助", suggestion: "建议", report: "举报",
};
export const CHANNELS: Record<string, string> = { phone: "电话", web: "网站", wechat: "微信", app: "APP" };
export const SATISFACTION: Record<string, string> = {
  satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意",
};
export const SUPERVISION_LEVEL: Record<string, string> = { first: "督办", second: "二次督办", accountability: "问责" };
export const SUPERVISION_STATUS: Record<string, string> = { open: "办理中", resolved: "已办结", escalated: "已升级",
  proposed: "拟问责·待决定", held_accountable: "已问责", dismissed: "不予问责" };
export const EXTENSION_STATUS: Record<string, string> = { pending: "待审批", approved: "已批准", rejected: "已驳回" };
export const REPORT_KINDS: Record<string, string> = { monthly_dispatch: "月度调度通报", quarterly_notice: "季度通报" };
export const REPORT_STATUS: Record<string, string> = {
  draft: "草稿", reviewed: "已核稿", published: "已签发", superseded: "已被更正替代",
};
/** 公开属性 of a signed official document. */
export const PUBLICITY: Record<string, string> = { public: "主动公开", on_request: "依申请公开", not_public: "不予公开" };
export const RULE_SET_STATUS: Record<string, string> = { draft: "草稿", published: "已发布", superseded: "已替代" };
export const RUN_STATUS: Record<string, string> = {
  running: "运行中", succeeded: "成功", success: "成功", failed: "失败", skipped: "跳过",
};
export const JOB_KINDS: Record<string, string> = {
  daily_sweeps: "每日巡检", monthly_dispatch: "月度调度通报", quarterly_notice: "季度通报",
  outbox_prune: "清理发件箱", reminders: "到期提醒", hotline_overdue: "热线超期巡检",
};

export const label = (table: Record<string, string>, key: string | null | undefined) =>
  key ? table[key] ?? key : "—";

export const dateTime = (value: string | null | undefined) =>
  value ? new Date(value).toLocaleString("zh-CN", { hour12: false }) : "—";

export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;

/** "云岭市新城区人民政府" → "新城区": the short form for chart axes. */
export const shortUnitName = (name: string) =>
  name.replace(/^云岭市?/, "").replace(/(人民政府|管理委员会)$/, "") || name;

/** The browser's own calendar date as YYYY-MM-DD (toISOString would give UTC's, a day behind in
 * Shanghai before 08:00). */
export function localDate(day: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

// Explain: what each ledger rule means (rule keys of the rule set and the scoring engine).
export const RULE_LABELS: Record<string, string> = {
  milestone_late: "时间节点逾期完成",
  milestone_lagging: "时间节点滞后",
  milestone_seriously_lagging: "时间节点严重滞后",
  milestone_lag_reversed: "节点已按时完成，撤销滞后扣分",
  milestone_completion_withdrawn: "改革办不予销号，撤销逾期完成扣分",
  task_closed_late: "任务逾期销号",
  first: "督办",
  second: "二次督办",
  accountability: "问责",
  problem_overdue: "问题逾期未整改",
  problem_closed_late: "问题逾期整改",
  finding: "督查检查发现问题",
};
