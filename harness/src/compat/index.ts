/** The compatibility suite as a library: conformance cases, targets (profile + persona), one card, the matrix, reports. */
export { loadCases, parseCases, REQUIREMENTS, type ConformanceCase, type CaseState, type Requirement, type ProcedureCall } from './cases.js';
export { loadTarget, type CompatTarget, type Capabilities } from './target.js';
export { CardUnderTest, type AppletState, type OpenTargetOptions } from './card-under-test.js';
export { runProcedure, ProcedureFailure, PROCEDURE_NAMES } from './procedures.js';
export { runCard, notApplicable, type CardRun, type CaseOutcome, type Verdict, type RunCardOptions } from './run-card.js';
export { runMatrix, personaTargets, defaultJobs, MatrixProgress, type MatrixOptions } from './run-matrix.js';
export {
  buildReport,
  renderConsole,
  renderJson as renderCompatJson,
  reportExitCode,
  COMMAND_ORDER,
  type CompatReport,
  type ReportCard,
  type ReportCase,
  type CommandTiming,
} from './report.js';
export { renderCompatHtml } from './html.js';
export { commandChart } from '../report/command-chart.js';
export { renderCompatJUnit } from './junit.js';
export { compareWithBaseline, loadBaseline, renderFindings, DEFAULT_THRESHOLD, type BaselineFinding, type Threshold } from './baseline.js';
export { certificateOfSize } from './certificates.js';
export { TimedTransport, measureRoundTrip } from './timed-transport.js';
export { commandName } from '../apdu/command-name.js';
