// 保証確認サービス: the orderer views the deposited certificate by 保証契約番号 + 認証キー.
//
// The notice's QR code opens /verify?contract_number=…#auth_key=…. The key is read from the
// fragment (never sent to any server in a URL), the fragment is dropped from the address bar at
// once, and the key is posted to the API in the request body only. Across the sign-in redirect the
// pre-filled form waits in this tab's sessionStorage, and is removed once shown.
import "./style.css";
import {
  Api, ApiError, boot, confirmDialog, drafts, endingText, h, labelCells, message, nav, session, show, signIn,
  statusBadge, wareki, yen, type Schemas,
} from "./common";

const FRONT = "orderer";
const DRAFT = "verify";

interface Form {
  contract_number: string;
  auth_key: string;
}

type Answer = Schemas["Verification"];
type Receipt = Schemas["ReceiptRecorded"];

/** Take the QR link's values out of the address bar; keep them only for this form. */
function takeFromUrl(): Partial<Form> {
  const taken: Partial<Form> = {};
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const number = query.get("contract_number");
  const key = fragment.get("auth_key");
  if (number) taken.contract_number = number;
  if (key) taken.auth_key = key;
  if (key || number) {
    // Drop the fragment (and the query) from the address bar and the history entry.
    history.replaceState(null, "", location.pathname);
  }
  return taken;
}

const api = new Api(FRONT, () => saveForm());

function field(name: keyof Form, label: string, value: string, extra: Record<string, string> = {}): HTMLElement {
  return h("div", { class: "field" },
    h("label", { for: name }, label),
    h("input", { id: name, name, value, autocomplete: "off", spellcheck: "false", required: true, ...extra }));
}

function currentForm(): Form | null {
  const number = document.getElementById("contract_number") as HTMLInputElement | null;
  const key = document.getElementById("auth_key") as HTMLInputElement | null;
  return number && key ? { contract_number: number.value, auth_key: key.value } : null;
}

function saveForm(): void {
  const form = currentForm();
  if (form) drafts.save(DRAFT, form);
}

function renderForm(values: Partial<Form>, notice?: HTMLElement): void {
  const form = h("form", { id: "verify-form", novalidate: true },
    field("contract_number", "保証契約番号", values.contract_number ?? "", { inputmode: "latin" }),
    field("auth_key", "認証キー", values.auth_key ?? "", { inputmode: "latin", "aria-describedby": "auth_key_help" }),
    h("p", { id: "auth_key_help", class: "help" }, "「認証キー」のお知らせに記載の英数字（大文字・小文字を区別します）"),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "閲覧")));
  const result = h("section", { id: "result", "aria-live": "polite" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = currentForm()!;
    if (!typed.contract_number.trim() || !typed.auth_key.trim()) {
      result.replaceChildren(message("保証契約番号と認証キーを入力してください。"));
      return;
    }
    void view(result, typed);
  });
  show(h("h1", {}, "保証確認"), notice ?? null, form, result);
}

/** The certificate for the typed number and key: the version in force, or `version` of its history.
 * `typed` is what was typed when 閲覧 was pressed: choosing a version or 受領確認 use the same. */
async function view(result: HTMLElement, typed: Form, version?: number): Promise<void> {
  result.setAttribute("aria-busy", "true");
  if (version === undefined) result.replaceChildren(h("p", {}, "照会中…"));
  try {
    const answer = await api.call<Answer>("POST", "/verifications", version === undefined ? typed : { ...typed, version });
    drafts.drop(DRAFT);
    document.getElementById("prefilled")?.remove(); // the form's values have been used
    result.replaceChildren(...certificateView(answer, typed, result));
    if (version !== undefined) document.getElementById("certificate-title")?.focus();
  } catch (error) {
    result.replaceChildren(message(error instanceof ApiError ? error.message : String(error)));
  } finally {
    result.removeAttribute("aria-busy");
  }
}

function row(label: string, value: string | Node): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
}

function pdfActions(answer: Answer): HTMLElement {
  const c = answer.certificate;
  const filename = `certificate-${c.contract_number}-v${String(c.version).padStart(3, "0")}.pdf`;
  const label = c.label;
  return h("span", { class: "pdf" },
    h("a", { href: answer.pdf_url, target: "_blank", rel: "noopener", "aria-label": `${label}のPDFを表示` }, "表示"),
    h("a", { href: answer.pdf_url, download: filename, rel: "noopener", "aria-label": `${label}のPDFをダウンロード` }, "ダウンロード"),
    printLink(answer.pdf_url, `${label}のPDFを印刷`));
}

function certificateView(answer: Answer, typed: Form, result: HTMLElement): Node[] {
  const c = answer.certificate;
  const label = c.label;
  const current = answer.current_version ?? answer.history[answer.history.length - 1]?.version;
  const inForce = current === undefined || c.version === current;
  const latest = answer.history.find((entry) => entry.version === current);
  const contractor = c.contractor.jv_name ? `${c.contractor.name}（${c.contractor.jv_name}）` : c.contractor.name;
  const ending = endingText(answer.ending);
  const facts = h("table", { class: "facts", id: "certificate" },
    h("caption", {}, `電子保証の内容（${label}）`),
    h("tbody", {},
      answer.status ? row("状態", statusBadge(answer.status, answer.status_label)) : null,
      ending ? row("終了", ending) : null,
      row("区分", label),
      row("電子保証発行日時", wareki(c.issued_at, true)),
      row("商品", c.product_label),
      row("保証契約番号", c.contract_number),
      row("工事名", c.work_name),
      row("被保証者", c.beneficiary),
      row("保証契約者", c.contractor.address ? h("span", {}, contractor, h("br"), h("span", { class: "help" }, c.contractor.address)) : contractor),
      row("請負金額（総額）", yen(c.contract_price)),
      row("保証金額（総額）", yen(c.guarantee_amount)),
      row("工期", `${wareki(c.period_start)} ～ ${wareki(c.period_end)}`),
      c.contract_date ? row("請負契約日", wareki(c.contract_date)) : null,
      row("保証期限", wareki(c.guarantee_deadline)),
      c.deposit_bank ? row("預託金融機関", c.deposit_bank) : null,
      row("電子証書", pdfActions(answer)),
      row("SHA-256", h("code", { class: "hash" }, c.sha256))));
  const deposit = h("p", { class: "deposit" },
    "この画面に表示している電子証書は、保証会社が本サービスに掲載した寄託の電子証書です（保証証書（書面）の発行は行わない電子的な取扱となります）。");
  const chain = answer.chain_valid === undefined ? null : answer.chain_valid
    ? h("p", { class: "message info", id: "chain" }, "履歴の連鎖：正常です。新規から最新までの電子証書に改ざんはありません。")
    : h("p", { class: "message error", id: "chain", role: "alert" }, "履歴の連鎖：不整合があります。保証会社にお問い合わせください。");
  // An ended guarantee stays on view: the deposit is still this certificate, under its status.
  const ended = answer.status && answer.status !== "valid"
    ? h("p", { class: "message ended", id: "ended" }, answer.status === "expired"
      ? `この保証は保証期限（${wareki(c.guarantee_deadline)}）を過ぎ、期限満了となっています。電子証書は引き続き閲覧できます。`
      : `この保証は${answer.ending ? `${wareki(answer.ending.date)}に` : ""}${answer.status_label ?? "終了"}となりました。電子証書は引き続き閲覧できます。`)
    : null;
  const older = inForce ? null : message(
    `表示しているのは ${label} です。現在有効な電子証書は ${latest ? latest.label : "最新の版"} です。`, "info");

  const versions = labelCells(h("table", { class: "list", id: "versions" },
    h("caption", {}, "電子保証履歴（訂正、変更取消された履歴は表示されません）"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "No."), h("th", { scope: "col" }, "電子保証発行日時"),
      h("th", { scope: "col" }, "対象"), h("th", { scope: "col" }, "電子保証"))),
    h("tbody", {}, ...answer.history.map((entry) => {
      const entryLabel = entry.label;
      const shown = entry.version === c.version;
      let cell: Node;
      if (shown) {
        cell = h("span", { class: "pdf" }, h("strong", {}, "表示中"), pdfActions(answer));
      } else {
        const choose = h("button", { type: "button", class: "link", "aria-label": `${entryLabel}を選択` }, "選択");
        choose.addEventListener("click", () => void view(result, typed, entry.version));
        cell = choose;
      }
      return h("tr", { class: shown ? "current" : undefined, "data-version": String(entry.version) },
        h("td", {}, String(entry.no)), h("td", {}, wareki(entry.issued_at, true)),
        h("td", {}, entryLabel + (entry.version === current ? "（最新）" : "")), h("td", {}, cell));
    }))));
  const parts: (Node | null)[] = [h("h2", { id: "certificate-title", tabindex: "-1" }, `電子証書（${label}）`), ended, older, deposit,
    chain, facts, receiptSection(answer, typed), versions];
  return parts.filter((part): part is Node => part !== null);
}

/** 受領確認: the orderer records receiving the version shown (the API keeps the first record). */
function receiptSection(answer: Answer, typed: Form): HTMLElement {
  const c = answer.certificate;
  const label = c.label;
  const outcome = h("div", { id: "receipt-result", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "primary", id: "receipt" }, "受領確認");
  button.addEventListener("click", async () => {
    const ok = await confirmDialog("受領確認",
      h("p", {}, `保証契約番号 ${c.contract_number} の電子証書（${label}）を受領したことを記録します。受注者にも表示されます。`), "受領を記録する");
    if (!ok) return;
    button.disabled = true;
    try {
      const receipt = await api.call<Receipt>("POST", "/verifications/receipts", { ...typed, version: c.version });
      outcome.replaceChildren(message(`受領確認を記録しました（${label}、${wareki(receipt.received_at, true)}）。`, "info"));
    } catch (error) {
      button.disabled = false;
      outcome.replaceChildren(message(error instanceof ApiError ? error.message : String(error)));
    }
  });
  return h("section", { class: "receipt", "aria-labelledby": "receipt-title" },
    h("h2", { id: "receipt-title" }, "受領確認"),
    h("p", {}, "内容を確認しましたら「受領確認」を押してください。受領を記録し、受注者の画面にも表示します。"),
    h("p", { class: "actions" }, button), outcome);
}

function printLink(url: string, label: string): HTMLElement {
  // The PDF lives on another origin: it opens in its own window, where the browser prints it.
  const button = h("button", { type: "button", class: "link", "aria-label": label }, "印刷");
  button.addEventListener("click", () => {
    const opened = window.open(url, "_blank", "noopener");
    if (!opened) location.assign(url);
  });
  return button;
}

// At once, before anything is awaited: the key leaves the address bar before the page does anything else.
const fromUrl = takeFromUrl();

void boot(FRONT, async () => {
  const token = await session(FRONT);
  if (!token) {
    // Remember the QR link's values (this tab only) and sign in first.
    const saved = drafts.load<Form>(DRAFT);
    drafts.save(DRAFT, { contract_number: fromUrl.contract_number ?? saved?.contract_number ?? "", auth_key: fromUrl.auth_key ?? saved?.auth_key ?? "" });
    await signIn(FRONT);
  }
  nav(FRONT, [["/verify", "保証確認"]]);
  const saved = drafts.load<Form>(DRAFT) ?? { contract_number: "", auth_key: "" };
  const values = { ...saved, ...fromUrl };
  drafts.drop(DRAFT); // the key stays in the form only
  const prefilled = values.auth_key ? message("「認証キー」のお知らせの内容を入力しました。確認して「閲覧」を押してください。", "info") : undefined;
  prefilled?.setAttribute("id", "prefilled");
  renderForm(values, prefilled);
});
