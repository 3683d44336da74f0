/** jpki-harness as a library: everything the CLI does, importable and typed. */
export * from './errors.js';
export { parseHex, toHex, concatBytes } from './apdu/hex.js';
export { encodeCommand, type CommandApdu } from './apdu/command.js';
export { ResponseApdu, formatSw } from './apdu/response.js';
export type { Transport, TransportKind } from './transport/transport.js';
export { PcscTransport, listReaders, type PcscOptions, type ReaderSelector } from './transport/pcsc.js';
export { SimTransport, type SimTransportOptions } from './transport/sim.js';
export { VpcdServer, VpcdConnection, VpcdControl } from './transport/vpcd-server.js';
export { SimulatorProcess, defaultSimulatorJar } from './sim/simulator-process.js';
export { parseScenario, loadScenario } from './script/parser.js';
export type { Scenario, Step, StepAction, Expectation, SwPattern, BytePattern } from './script/scenario.js';
export { runScenario, checkExpectation, type RunResult, type StepResult, type RunOptions } from './runner/runner.js';
export { renderTable, renderSummary } from './report/console.js';
export { JpkiClient, JpkiFile, JPKI_AID, CardStatusError, digestInfo, type DigestAlgorithm } from './jpki/client.js';
export { parseInformation, type AppletInformation } from './jpki/info.js';
export { sealContent, putContentCommands, ContentTarget, type ContentKeys } from './jpki/sealer.js';
export { keyImportLayout } from './jpki/key-import.js';
export { personalise, resetPin, terminate, PersonalisationError, type PersonalisationPlan, type PersonalisationOptions, type PersonalisationResult } from './jpki/personalise.js';
