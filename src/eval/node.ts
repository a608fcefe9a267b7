// Node-only public face of src/eval: report files.
export { type DemoReportInput, renderDemoHtml, type TrainingRecord, writeDemoReport } from "./demo-report.ts";
