// The orderer's desk (発注者デスク) and 提出, as the API answers them: the generated schemas
// (web/src/api.d.ts, from docs/openapi.json) under the names the screens use.
import type { Schemas } from "./common";

export type GuaranteeStatus = DeskRow["status"];
export type DeskRowReceipt = NonNullable<DeskRow["receipt"]>;
export type DeskRow = Schemas["DeskRow"];
export type DeskPage = Schemas["DeskRows"];
export type DeskEvent = Schemas["DeskEvent"];
export type DeskEventKind = DeskEvent["kind"];
export type DeskEventPage = Schemas["DeskEvents"];
export type Correction = Schemas["Correction"];
export type Withdrawn = Schemas["Withdrawn"];
export type DeskReceipt = Schemas["DeskReceipt"];
export type DeskHistoryEntry = Schemas["DeskHistoryEntry"];
export type DeskCertificate = Schemas["DeskCertificate"];
export type DeskGuarantee = Schemas["DeskGuarantee"];
export type DeskReceiptRecorded = Schemas["DeskReceiptRecorded"];
export type DeskReceiptsAnswer = Schemas["DeskReceiptsRecorded"];
export type DeskExport = Schemas["DeskExport"];
export type Department = Schemas["Department"];
export type RegistryOrderer = Schemas["Orderer"];
export type Submission = Schemas["Submission"];

/** Where and when the contract was presented, if the contractor's contract answer (GET /contracts/{number})
 * carries it: the desk row's own fields. Until it does, Net Desk shows what it has (the orderer's last
 * look and the 受領確認) and, right after a 提出, the submission's answer. */
export interface ContractPresentation {
  orderer_name?: string | null;
  department_name: string | null;
  via: "submission" | "key";
  presented_at: string;
}
