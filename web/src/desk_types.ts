// The orderer's desk (発注者デスク) and 提出, as the API answers them. Until docs/openapi.json carries the
// desk's routes, these are declared here by hand from the shared design; once web/src/api.d.ts is
// regenerated with them, each alias below becomes `Schemas["…"]` and this file goes.
import type { Schemas } from "./common";

export type GuaranteeStatus = "valid" | "expired" | "terminated" | "claimed";

/** The 受領確認 a desk row carries: of the version in force (`current`), or of one it replaced. */
export interface DeskRowReceipt {
  version: number;
  label: string;
  received_by: string; // the orderer user's subject
  received_at: string;
  current: boolean;
}

/** One guarantee on the desk (GET /desk/guarantees). */
export interface DeskRow {
  contract_number: string;
  issuer_name: string;
  product: string;
  product_name: string;
  project_name: string;
  contractor_name: string;
  amount: number;
  expiry: string;
  label: string;
  version: number;
  status: GuaranteeStatus;
  status_label: string;
  department_id: string | null;
  department_name: string | null;
  via: "submission" | "key";
  presented_at: string;
  receipt: DeskRowReceipt | null;
  needs_attention: boolean;
  corrected: boolean;
  expiring_soon: boolean;
  changed_at: string;
}

export interface DeskPage {
  items: DeskRow[];
  next_cursor: string | null;
}

export type DeskEventKind =
  "submitted" | "presented" | "registered" | "changed" | "corrected" | "change_cancelled" | "terminated" | "claimed" | "received";

export interface DeskEvent {
  event_id: string;
  at: string;
  contract_number: string;
  kind: DeskEventKind;
  label: string | null;
  version: number | null;
  department_id: string | null;
  detail: unknown;
}

export interface DeskEventPage {
  items: DeskEvent[];
  next_cursor: string | null;
}

/** A 訂正: when, and the certificate it replaced (its issue time and sha256). */
export interface Correction {
  corrected_at: string;
  replaces: { issued_at: string | null; sha256: string };
}

export interface Withdrawn {
  change_number: number;
  label: string;
  cancelled_at: string;
  reason: string | null;
}

export interface DeskReceipt {
  version: number;
  label: string;
  received_by: string;
  received_at: string;
  superseded: boolean;
}

export type DeskHistoryEntry = Schemas["HistoryEntry"] & { correction?: Correction | null; withdrawn?: Withdrawn[] | null };
export type DeskCertificate = Schemas["Certificate"] & { correction?: Correction | null };

/** GET /desk/guarantees/{number}: the verification's answer without a key, and the desk's own. */
export interface DeskGuarantee extends Omit<Schemas["Verification"], "history" | "certificate"> {
  certificate: DeskCertificate;
  history: DeskHistoryEntry[];
  desk: DeskRow;
  events: DeskEvent[];
  receipts: DeskReceipt[];
  withdrawn?: Withdrawn[] | null;
}

/** POST /desk/receipts */
export interface DeskReceiptRecorded {
  contract_number: string;
  version: number;
  label: string;
  received_by: string;
  received_at: string;
  new: boolean;
}

export interface DeskReceiptsAnswer {
  items: DeskReceiptRecorded[];
}

/** GET /desk/export: a presigned link to the CSV and the characters CP932 could not hold (〓 in the file). */
export interface DeskExport {
  url: string;
  rows: number;
  substituted: { contract_number: string; column: string; character: string }[];
}

/** GET /orderers: the registry, with the departments and the products an orderer takes 提出 for. */
export interface Department {
  department_id: string;
  name: string;
  email: string;
  products: string[];
}

export type RegistryOrderer = Schemas["Orderer"] & {
  accepts_direct_submission?: string[];
  departments?: Department[];
};

/** POST /contracts/{number}/submissions */
export interface Submission {
  contract_number: string;
  orderer_id: string;
  department_id: string;
  department_name: string;
  via: "submission";
  presented_at: string;
}

/** Where and when the contract was presented, if the contractor's contract answer (GET /contracts/{number})
 * carries it: the desk row's own fields. Until it does, Net Desk shows what it has (the orderer's last
 * look and the 受領確認) and, right after a 提出, the submission's answer. */
export interface ContractPresentation {
  orderer_name?: string | null;
  department_name: string | null;
  via: "submission" | "key";
  presented_at: string;
}
