// 承認待ち (four eyes): where the issuer wants it, 発行, 訂正 and 解約 / 履行請求 are recorded by one staff
// member and carried out when a different one approves. The list (#/approvals) and one decision in full
// (#/approvals/<id>) with 承認する / 差し戻す; the maker sees their own without the approve button.
import { ApiError, confirmDialog, h, labelCells, show, textArea, wareki, yen } from "./common";
import {
  FIELD_LABELS, api, appHref, approvalHref, busy, contractHref, errorText, ordererName, personName, row, setNotice, takeNotice,
  valueText, type Approval, type Approvals,
} from "./staff_common";

export const ACTION_LABELS: Record<string, string> = { issue: "発行", correct: "訂正", terminate: "解約・保証債務履行請求" };
const APPROVAL_STATUS: [string, string][] = [["pending", "承認待ち"], ["approved", "承認済み"], ["returned", "差し戻し"]];
const TERMINATION_KINDS: Record<string, string> = { cancelled: "解約", claimed: "保証債務履行請求" };
const PAGE = 20;

/** The staff member signed in (the ID token's sub): their own decisions cannot be approved by them. */
let me = "";
export function setMe(subject: string): void {
  me = subject;
}

function statusText(status: string): string {
  return APPROVAL_STATUS.find(([v]) => v === status)?.[1] ?? status;
}

/** What the decision is about: the application or the contract, with its label. */
function target(a: Approval): HTMLElement {
  const label = a.summary?.label ? `（${a.summary.label}）` : "";
  if (a.contract_number) return h("span", {}, h("a", { href: contractHref(a.contract_number) }, a.contract_number), label);
  if (a.application_id) return h("span", {}, h("a", { href: appHref(a.application_id) }, "申込を開く"), label);
  return h("span", {}, "—");
}

/** The note a maker sees after deciding with four eyes on: it waits, and who may approve it. */
export function pendingText(a: Approval): string {
  return `${ACTION_LABELS[a.action] ?? "操作"}を承認待ちにしました。${personName(a.decided_by_name)} さん以外の同じ保証会社の職員が承認すると実行されます。`;
}

/** A panel for the application or contract page: a decision on it waits for approval. */
export function pendingPanel(a: Approval | null | undefined): HTMLElement | null {
  if (!a) return null;
  return h("section", { class: "pending-approval", id: "pending-approval", "aria-labelledby": "pending-approval-title" },
    h("h2", { id: "pending-approval-title" }, "承認待ち"),
    h("p", {}, `${ACTION_LABELS[a.action] ?? "操作"}の決定（${personName(a.decided_by_name)}、${wareki(a.decided_at, true)}）が承認を待っています。`
      + "承認または差し戻しの後に、次の操作ができます。"),
    h("p", {}, h("a", { href: approvalHref(a.approval_id) }, "承認待ちの決定を開く")));
}

interface ListState {
  status: string;
  cursors: (string | null)[];
}

let listState: ListState = { status: "pending", cursors: [null] };

export async function approvalsView(state: ListState = listState): Promise<void> {
  listState = state;
  const notice = takeNotice();
  const cursor = state.cursors[state.cursors.length - 1];
  const query = new URLSearchParams({ status: state.status, limit: String(PAGE) });
  if (cursor) query.set("cursor", cursor);
  const status = h("select", { id: "approval-status" }, ...APPROVAL_STATUS.map(([v, t]) => h("option", { value: v, selected: v === state.status }, t)));
  status.addEventListener("change", () => void approvalsView({ status: status.value, cursors: [null] }));
  const filters = h("div", { class: "filters" }, h("p", { class: "field inline" }, h("label", { for: "approval-status" }, "状態"), status));

  let page: Approvals;
  try {
    page = await api.call<Approvals>("GET", `/staff/approvals?${query}`);
  } catch (error) {
    // An API without four eyes (or before they were built) has no list: nothing waits.
    if (!(error instanceof ApiError) || (error.status === 404 && error.code !== "not_found")) page = { items: [], next_cursor: null };
    else throw error;
  }
  const n = state.cursors.length;
  const table = labelCells(h("table", { class: "list", id: "approvals" },
    h("caption", {}, `${statusText(state.status)}（${n} ページ目、${page.items.length} 件）`),
    h("thead", {}, h("tr", {}, ...["決定日時", "操作", "対象", "受注者・工事名", "保証金額", "決定した職員"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...page.items.map((a) => h("tr", { "data-approval": a.approval_id },
      h("td", { class: "nowrap" }, h("a", { href: approvalHref(a.approval_id), "aria-label": `${ACTION_LABELS[a.action] ?? "操作"}の決定（${wareki(a.decided_at, true)}）を開く` },
        wareki(a.decided_at, true))),
      h("td", { class: "nowrap" }, ACTION_LABELS[a.action] ?? a.action),
      h("td", {}, target(a)),
      h("td", { class: "wrap" }, [a.summary?.contractor_name, a.summary?.work_name].filter(Boolean).join("「") + (a.summary?.work_name && a.summary?.contractor_name ? "」" : "") || "—"),
      h("td", { class: "num" }, yen(a.summary?.guarantee_amount)),
      h("td", {}, personName(a.decided_by_name), a.decided_by === me ? h("span", { class: "badge mine" }, "ご自身") : null))))));
  const previous = h("button", { type: "button", disabled: n === 1 }, "前へ");
  previous.addEventListener("click", () => void approvalsView({ ...state, cursors: state.cursors.slice(0, -1) }));
  const next = h("button", { type: "button", disabled: !page.next_cursor }, "次へ");
  next.addEventListener("click", () => void approvalsView({ ...state, cursors: [...state.cursors, page.next_cursor] }));
  show(h("h1", {}, "承認待ち"),
    h("p", { class: "help" }, "発行・訂正・解約の決定は、決定した職員とは別の職員が承認すると実行されます。"),
    filters, notice,
    page.items.length ? h("div", { class: "scroll" }, table) : h("p", { id: "approvals-empty" }, "該当する決定はありません。"),
    h("nav", { class: "actions pager", "aria-label": "ページ" }, previous, h("span", {}, `${n} ページ目`), next));
}

/** The stored request of a 訂正 or 解約, field by field. */
function requestRows(a: Approval): HTMLElement[] {
  const request = a.request ?? {};
  const rows: HTMLElement[] = [];
  for (const [key, value] of Object.entries(request)) {
    if (value === null || value === undefined) continue;
    if (typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === null || v === undefined) continue;
        const path = `${key}.${inner}`;
        rows.push(row(FIELD_LABELS[path] ?? path, valueText(v, path)));
      }
    } else if (key === "kind") rows.push(row("種類", TERMINATION_KINDS[String(value)] ?? String(value)));
    else rows.push(row(FIELD_LABELS[key] ?? key, valueText(value, key)));
  }
  return rows;
}

/** What the approved action did, from its answer (Issued / Corrected / Termination). */
export function resultText(action: string, result: Record<string, unknown> | null | undefined): string {
  if (!result) return "";
  const number = typeof result.contract_number === "string" ? result.contract_number : "";
  const label = typeof result.label === "string" ? result.label : "";
  if (action === "issue") return `発行しました${label ? `（${label}）` : ""}。保証契約番号 ${number}`;
  if (action === "correct") return `訂正しました${label ? `（${label}）` : ""}。保証契約番号 ${number}`;
  return `${label || "解約・保証債務履行請求"}を記録しました。保証契約番号 ${number}`;
}

export async function approvalView(id: string): Promise<void> {
  const a = await api.call<Approval>("GET", `/staff/approvals/${encodeURIComponent(id)}`);
  const notice = takeNotice();
  const s = a.summary ?? {};
  const facts = h("table", { class: "facts", id: "approval" }, h("tbody", {},
    row("操作", ACTION_LABELS[a.action] ?? a.action),
    row("状態", h("span", { class: `badge approval-${a.status}` }, statusText(a.status))),
    row("対象", target(a)),
    s.product_label ? row("商品", s.product_label) : null,
    s.contractor_name ? row("受注者", s.contractor_name) : null,
    s.orderer_name ? row("発注者", ordererName(s.orderer_name, null)) : null,
    s.work_name ? row("工事名", s.work_name) : null,
    s.guarantee_amount != null ? row("保証金額", yen(s.guarantee_amount)) : null,
    s.guarantee_deadline ? row("保証期限", wareki(s.guarantee_deadline)) : null,
    row("決定した職員", `${personName(a.decided_by_name)}（${wareki(a.decided_at, true)}）`),
    a.approved_at ? row("承認した職員", `${personName(a.approved_by_name)}（${wareki(a.approved_at, true)}）`) : null,
    a.return_reason ? row("差し戻しの理由", a.return_reason) : null,
    a.status === "approved" && a.result ? row("結果", resultText(a.action, a.result)) : null));
  const requested = requestRows(a);
  const request = requested.length
    ? h("table", { class: "facts", id: "approval-request" }, h("caption", {}, "決定の内容"), h("tbody", {}, ...requested))
    : null;

  let decide: HTMLElement | null = null;
  if (a.status === "pending") {
    const own = a.decided_by !== null && a.decided_by === me;
    const region = h("section", { "aria-labelledby": "approve-title", id: "approve" }, h("h2", { id: "approve-title" }, "承認"));
    const approve = h("button", { type: "button", class: "primary" }, "承認する");
    const back = h("button", { type: "button" }, "差し戻す");
    approve.addEventListener("click", async () => {
      const ok = await confirmDialog("承認しますか",
        h("p", {}, `${personName(a.decided_by_name)} さんの${ACTION_LABELS[a.action] ?? "操作"}の決定を承認し、実行します。`), "承認する");
      if (!ok) return;
      const done = busy(approve, region, "承認しています…");
      back.disabled = true;
      try {
        const answer = await api.call<Approval>("POST", `/staff/approvals/${encodeURIComponent(a.approval_id)}`, { decision: "approve" });
        setNotice(`承認しました。${resultText(answer.action, answer.result)}`);
      } catch (error) {
        done();
        back.disabled = false;
        setNotice(errorText(error), "error");
      }
      await approvalView(id);
    });
    back.addEventListener("click", async () => {
      const reason = textArea("reason", "差し戻しの理由（決定した職員に表示されます）", { required: true });
      const ok = await confirmDialog("差し戻しますか", h("div", {}, h("p", {}, "この決定は実行されず、決定した職員に戻ります。"), reason), "差し戻す");
      if (!ok) return;
      const text = (reason.querySelector("textarea") as HTMLTextAreaElement).value.trim();
      const done = busy(back, region, "差し戻しています…");
      approve.disabled = true;
      try {
        await api.call("POST", `/staff/approvals/${encodeURIComponent(a.approval_id)}`, { decision: "return", reason: text });
        setNotice("差し戻しました。");
      } catch (error) {
        done();
        setNotice(errorText(error), "error");
      }
      await approvalView(id);
    });
    if (own) {
      region.append(h("p", { class: "message info", role: "status", id: "own-decision" },
        "ご自身の決定です。ご自身では承認できません。別の職員が承認または差し戻しをします。"));
    } else {
      region.append(h("p", { class: "actions" }, approve, back));
    }
    decide = region;
  }
  show(h("h1", {}, `承認待ちの決定（${ACTION_LABELS[a.action] ?? "操作"}）`), notice, facts, request, decide,
    h("p", {}, h("a", { href: "#/approvals" }, "承認待ちの一覧へ戻る")));
}
