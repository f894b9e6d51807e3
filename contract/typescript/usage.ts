// A portal's use of the generated types: if the document changes shape, this stops compiling.
import type { components, operations, paths } from "./generated/api";

type Report = components["schemas"]["ReportRead"];
type Problem = components["schemas"]["Problem"];
type ListReports = operations["list_progress_reports"];

export function title(report: Report): string {
  return `${report.state_code} ${report.status} (revision ${report.revision})`;
}

export function explain(problem: Problem): string {
  return `${problem.status} ${problem.title}: ${problem.detail}`;
}

export const publicReports: keyof paths = "/api/v1/progress-reports";
export type ReportQuery = NonNullable<ListReports["parameters"]["query"]>;
export const firstPage: ReportQuery = { visibility: "public", limit: 50 };
