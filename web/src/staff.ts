// The review desk (保証会社職員): the queue, and issue / reject with a confirmation.
import "./style.css";
import { Api, ApiError, boot, confirmDialog, h, labelCells, message, nav, productLabel, session, show, signIn, wareki, yen } from "./common";

const FRONT = "staff";
const api = new Api(FRONT);

interface Queued {
  application_id: string;
  status: string;
  company_id: string;
  submitted_at: string;
  product: string;
  format: string;
  orderer_id: string;
  contractor_name: string;
  work_name: string;
  guarantee_amount: number;
  reject_reason: string | null;
  contract_number?: string | null;
}

const STATUSES: [string, string][] = [["submitted", "審査待ち"], ["issued", "発行済み"], ["rejected", "却下"]];

async function queueView(status: string, notice?: HTMLElement): Promise<void> {
  const { applications } = await api.call<{ applications: Queued[] }>("GET", `/staff/applications?status=${status}`);
  const filter = h("select", { id: "status-filter" }, ...STATUSES.map(([v, t]) => h("option", { value: v, selected: v === status }, t)));
  filter.addEventListener("change", () => void queueView(filter.value));
  const table = labelCells(h("table", { class: "list", id: "queue" },
    h("caption", {}, `${STATUSES.find(([v]) => v === status)?.[1]} ${applications.length} 件`),
    h("thead", {}, h("tr", {}, ...["申込日時", "受注者", "商品", "形式", "発注者", "工事名", "保証金額", status === "rejected" ? "却下理由" : "操作"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...applications.map((a) => h("tr", { "data-application": a.application_id },
      h("td", {}, wareki(a.submitted_at, true)), h("td", {}, a.contractor_name), h("td", {}, productLabel(a.product)),
      h("td", {}, a.format === "electronic" ? "電子" : "書面"), h("td", {}, a.orderer_id), h("td", {}, a.work_name),
      h("td", { class: "num" }, yen(a.guarantee_amount)),
      h("td", {}, status === "submitted" ? actions(a, status) : (a.reject_reason ?? a.contract_number ?? "—")))))));
  show(h("h1", {}, "申込の審査"),
    h("p", { class: "field inline" }, h("label", { for: "status-filter" }, "表示する申込"), filter),
    notice ?? null,
    applications.length ? table : h("p", {}, "該当する申込はありません。"));
}

function actions(a: Queued, status: string): HTMLElement {
  const issue = h("button", { type: "button", class: "primary" }, "発行");
  const reject = h("button", { type: "button" }, "却下");
  issue.addEventListener("click", async () => {
    const ok = await confirmDialog("保証を発行しますか", h("p", {}, `${a.contractor_name}「${a.work_name}」${yen(a.guarantee_amount)}`), "発行する");
    if (!ok) return;
    try {
      const issued = await api.call<{ contract_number: string }>("POST", `/staff/applications/${a.application_id}/issue`);
      await queueView(status, message(`発行しました。保証契約番号 ${issued.contract_number}`, "info"));
    } catch (error) {
      await queueView(status, message(error instanceof ApiError ? error.message : String(error)));
    }
  });
  reject.addEventListener("click", async () => {
    const reason = h("textarea", { id: "reject-reason", name: "reason", rows: "3", required: true });
    const ok = await confirmDialog("申込を却下しますか", h("div", { class: "field" }, h("label", { for: "reject-reason" }, "却下の理由（受注者に通知されます）"), reason), "却下する");
    if (!ok) return;
    try {
      await api.call("POST", `/staff/applications/${a.application_id}/reject`, { reason: reason.value });
      await queueView(status, message("却下しました。", "info"));
    } catch (error) {
      await queueView(status, message(error instanceof ApiError ? error.message : String(error)));
    }
  });
  return h("span", { class: "pdf" }, issue, reject);
}

void boot(FRONT, async () => {
  if (!(await session(FRONT))) await signIn(FRONT);
  nav(FRONT, [["/staff/", "申込の審査"]]);
  await queueView("submitted");
});
