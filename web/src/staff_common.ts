// What the review desk's views share (web/src/staff.ts, staff_search.ts, staff_approvals.ts): the API
// client, the Japanese for a refusal, table rows and links, the notice carried to the next screen, the
// orderers' names, and the answers' types of the four eyes, the search and the lock (web/src/api.d.ts).
import { Api, ApiError, errorJa, h, loadConfig, message, wareki, yen, type Schemas } from "./common";
import { ERROR_MESSAGES } from "./error_messages";

export const FRONT = "staff";
export const api = new Api(FRONT);

// ------------------------------------------------------------------ answers (web/src/api.d.ts)

/** A staff decision waiting for a second member's approval (four eyes). */
export type Approval = Schemas["Approval"];
export type ApprovalSummary = Schemas["ApprovalSummary"];
export type Approvals = Schemas["Approvals"];
/** A change as it was decided: from the version it was applied to, to the version it made. */
export type DecidedChange = Schemas["DecidedChange"];
export type FeeEstimate = Schemas["FeeEstimate"];
/** The verification lock on a contract number (wrong keys in a row). */
export type ContractLock = Schemas["Lock"];
/** One row of GET /staff/contracts. */
export type StaffContractRow = Schemas["StaffContractRow"];
export type StaffContractRows = Schemas["StaffContracts"];
export type StaffApplication = Schemas["StaffApplication"];
export type StaffContract = Schemas["StaffContract"];
export type QueueRow = Schemas["QueueRow"];

/** Did the API take the action at once, or record it for a second member's approval (202 with an Approval)? */
export function isApproval(answer: unknown): answer is Approval {
  return typeof answer === "object" && answer !== null && typeof (answer as { approval_id?: unknown }).approval_id === "string";
}

// ------------------------------------------------------------------ refusals in Japanese

export function codeText(code: string | null | undefined): string | null {
  if (!code) return null;
  return Object.hasOwn(ERROR_MESSAGES, code) ? errorJa(code) : null;
}

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

/** What the screen says about a failed call: the code's Japanese, else the API's (Japanese) message,
 * else a sentence by status — never an English message from somewhere on the way. */
export function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) {
    const text = error instanceof Error ? error.message : String(error);
    return JAPANESE.test(text) ? text : "通信できませんでした。時間をおいてもう一度お試しください。";
  }
  const byCode = codeText(error.code);
  if (byCode) return error.status === 409 && JAPANESE.test(error.message) && error.message !== byCode ? `${error.message}（${byCode}）` : byCode;
  if (error.errors.length) return error.errors.map((p) => errorJa(p.code)).join(" ");
  if (JAPANESE.test(error.message)) return error.message;
  if (error.status === 404) return "該当する情報が見つかりません。";
  if (error.status === 403) return errorJa("forbidden");
  return `エラーが発生しました（${error.status}）。時間をおいてもう一度お試しください。`;
}

// ------------------------------------------------------------------ small pieces of screens

export function row(label: string, value: string | Node | null | undefined): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value ?? "—"));
}

export function link(url: string, text: string, label?: string): HTMLElement {
  return h("a", { href: url, target: "_blank", rel: "noopener", "aria-label": label }, text);
}

export const appHref = (id: string) => `#/applications/${encodeURIComponent(id)}`;
export const contractHref = (n: string) => `#/contracts/${encodeURIComponent(n)}`;
export const approvalHref = (id: string) => `#/approvals/${encodeURIComponent(id)}`;

/** A person by name; a decision recorded before names were: 「（記録なし）」, never a bare id. */
export function personName(name: string | null | undefined): string {
  return name && name.trim() ? name : "（記録なし）";
}

let nextNotice: HTMLElement | null = null;

/** A message for the next screen shown (after an action, the screen is drawn again with its outcome). */
export function setNotice(text: string | HTMLElement, kind: "error" | "info" = "info"): void {
  nextNotice = typeof text === "string" ? message(text, kind) : text;
}

export function takeNotice(): HTMLElement | null {
  const notice = nextNotice;
  nextNotice = null;
  return notice;
}

/** A field's value as people read it: amounts in yen, ISO dates in 令和. */
export function valueText(value: unknown, field = ""): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number") return /amount|price|fee/.test(field) || value >= 10000 ? yen(value) : String(value);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return wareki(value);
  if (typeof value === "boolean") return value ? "あり" : "なし";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The fields of an application or a correction, by the API's field path, as the screens name them. */
export const FIELD_LABELS: Record<string, string> = {
  "work.name": "工事名", "work.kind": "種別", "work.contract_price": "請負金額", "work.contract_date": "請負契約日",
  "work.period_start": "工期（自）", "work.period_end": "工期（至）",
  "guarantee.amount": "保証金額", "guarantee.deadline": "保証期限",
  "contractor.name": "保証契約者名", "contractor.address": "保証契約者の住所", "contractor.jv_name": "共同企業体名",
  deposit_bank: "預託金融機関", reason: "理由", kind: "種類", date: "日付",
};

/** The change a decision made: 新規 → 変更ー1, and each field before → after. */
export function decidedChangeTable(change: DecidedChange | null | undefined, id = "decided-change"): HTMLElement | null {
  if (!change) return null;
  return h("table", { class: "list", id },
    h("caption", {}, `決定した変更：${change.from_label} → ${change.to_label}`),
    h("thead", {}, h("tr", {}, ...["項目", "変更前", "変更後"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...change.fields.map((f) => h("tr", { class: "changed" },
      h("th", { scope: "row" }, f.label || FIELD_LABELS[f.field] || f.field),
      h("td", {}, valueText(f.before, f.field)), h("td", {}, valueText(f.after, f.field))))));
}

// ------------------------------------------------------------------ the orderers' registry

/** The orderers by id (GET /orderers, public): the screens name them, not their ids. */
let orderers: Promise<Schemas["Orderer"][]> | null = null;

export function loadOrderers(): Promise<Schemas["Orderer"][]> {
  orderers ??= (async () => {
    const cfg = await loadConfig();
    const response = await fetch(cfg.apiUrl.replace(/\/$/, "") + "/orderers");
    if (!response.ok) return [];
    return ((await response.json()) as { orderers?: Schemas["Orderer"][] }).orderers ?? [];
  })().catch(() => []);
  return orderers;
}

let ordererNames: Record<string, string> = {};
let beneficiaries: Record<string, string> = {};

export async function readOrdererNames(): Promise<void> {
  const registry = await loadOrderers();
  ordererNames = Object.fromEntries(registry.map((o) => [o.orderer_id, o.name]));
  beneficiaries = Object.fromEntries(registry.map((o) => [o.orderer_id, o.beneficiary_name]));
}

/** 被保証者 as the certificate names it (the registry's beneficiary name), else the orderer's name. */
export function beneficiaryName(id: string | null | undefined, fallback: string | null | undefined): string {
  return (id && beneficiaries[id]) || ordererName(fallback, id);
}

/** An orderer by name: the answer's own name, else the registry's, else 「—」 (never an id alone). */
export function ordererName(name: string | null | undefined, id: string | null | undefined): string {
  return name || (id ? ordererNames[id] ?? id : "—");
}

/** Make a control busy while an action runs: disabled, its text saying what happens, aria-busy on its region. */
export function busy(button: HTMLButtonElement, region: HTMLElement, text: string): () => void {
  const before = button.textContent;
  button.disabled = true;
  button.textContent = text;
  region.setAttribute("aria-busy", "true");
  return () => {
    button.disabled = false;
    button.textContent = before;
    region.removeAttribute("aria-busy");
  };
}
