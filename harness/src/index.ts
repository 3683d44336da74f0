/** jpki-harness as a library: everything the CLI does, importable and typed. */
export * from './errors.js';
export { parseHex, toHex, concatBytes, HexFormatError } from './apdu/hex.js';
export { encodeCommand, decodeCommand, describeCommand, ApduEncodingError, type CommandApdu } from './apdu/command.js';
export { ResponseApdu, formatSw } from './apdu/response.js';
export { digestInfo, hashMessage, DIGEST_LENGTH, type HashName } from './apdu/digest-info.js';
export type { Transport, TransportKind, TransmitOptions } from './transport/transport.js';
export { PcscTransport, listReaders, type PcscOptions, type ReaderSelector } from './transport/pcsc.js';
export { SimTransport, type SimTransportOptions } from './transport/sim.js';
export { VpcdServer, VpcdConnection, VpcdControl } from './transport/vpcd-server.js';
export { TraceTransport, TraceRecorder, parseTrace, type TraceEntry, type TraceRecorderOptions } from './transport/trace.js';
export { redactCommand, redactResponse } from './apdu/redact.js';
export {
  LoggingTransport,
  TimingTransport,
  IsoTransport,
  ChainingTransport,
  standardStack,
  atrSupportsExtendedLength,
  withLe,
  type LoggingOptions,
  type TimedExchange,
  type IsoOptions,
  type ChainingOptions,
  type StackOptions,
} from './transport/wrappers.js';
export { openTransport, openCard, parseReaderSelector, type OpenOptions, type CardOptions, type Card } from './transport/open.js';
export { SimulatorProcess, defaultSimulatorJar } from './sim/simulator-process.js';
export { simulatorStatus, startBackgroundSimulator, stopBackgroundSimulator, VPCD_FIRST_SLOT_PORT, type BackgroundStatus } from './sim/background.js';
export { parseScenario, loadScenario, ACTION_KEYS } from './script/parser.js';
export { parseApdutool, loadApdutool, type ApdutoolOptions } from './script/apdutool.js';
export { loadScript, loadScripts, expandScriptPaths, globToRegExp } from './script/load.js';
export { substitute, resolveHex, resolveText, type Variables } from './script/vars.js';
export { parseSwPattern, parseMaskedHex } from './apdu/patterns.js';
export {
  filterByTags,
  swMatches,
  bytesMatch,
  type Scenario,
  type Step,
  type StepAction,
  type StepKind,
  type Expectation,
  type SwPattern,
  type BytePattern,
  type Template,
  type Capture,
  type SecureChannelSpec,
} from './script/scenario.js';
export {
  performAction,
  selectAidCommand,
  selectEfCommand,
  verifyPinCommand,
  signCommand,
  type Exchange,
  type ActionContext,
  type ActionOutcome,
} from './runner/actions.js';
export { runScenario, runSuite, checkExpectation, type RunOptions, type SuiteOptions } from './runner/runner.js';
export type { RunResult, StepResult, RunListener, SuiteInfo, SuiteResult, StepStats } from './results.js';
export { executeRun, type ExecuteOptions, type ExecuteResult } from './cli/execute.js';
export { timingStats, type TimingStats } from './stats.js';
export { renderTable, renderSummary, renderStats, renderSuiteSummary, formatMillis, ConsoleReporter, type ConsoleOptions } from './report/console.js';
export {
  ReportBuilder,
  redactExchange,
  redactText,
  type Report,
  type ReportScenario,
  type ReportRun,
  type ReportStep,
  type ReportExchange,
  type ReportStepStats,
  type ReportOptions,
} from './report/model.js';
export { renderJUnit, escapeXml } from './report/junit.js';
export { renderHtml, timingChart } from './report/html.js';
export { ReportFiles, renderJson, writeAtomically, type ReportFileOptions } from './report/files.js';
export { runShell, shellLineToYaml, SHELL_HELP, type ShellOptions } from './cli/shell.js';
export { buildCli } from './cli/program.js';
export { JpkiClient, JpkiFile, JPKI_AID, type DigestAlgorithm } from './jpki/client/client.js';
export { parseInformation, type AppletInformation } from './jpki/client/info.js';
export {
  sealContent,
  diversifyContentKeys,
  ContentTarget,
  authoriseCommand,
  answerTagMatches,
  keyTransportPayload,
  contentKeyCheckValue,
  type ContentKeys,
} from './jpki/sp-tsm/sealer.js';
export { putContentCommands, setContentKeysCommands, type AdminHeader } from './apdu/jpki-commands.js';
export {
  readAttestation,
  parseAttestation,
  verifyAttestation,
  acceptUnattested,
  attestationStatement,
  AttestationError,
  type AttestationRecord,
  type VerifiedAttestation,
} from './jpki/sp-tsm/attestation.js';
export { keyImportLayout } from './jpki/sp-tsm/key-import.js';
export {
  personalise,
  resetPin,
  terminate,
  readInformation,
  AppletAdministration,
  PersonalisationError,
  type PersonalisationPlan,
  type PersonalisationOptions,
  type PersonalisationResult,
} from './jpki/sp-tsm/personalise.js';
export { TestCertificateAuthority } from './jpki/test-ca/test-ca.js';
export {
  personaliseWithTestCredential,
  attestCard,
  testContentKeysFor,
  type AttestedCard,
  openAdminSession,
  TEST_GP_KEYS,
  TEST_CONTENT_MASTER_KEYS,
  testContentKeys,
  TEST_PIN,
  ADMIN_SECURITY_LEVEL,
} from './jpki/test-ca/test-material.js';
export * from './gp/errors.js';
export {
  readCardAuthorityCertificate,
  verifyCardAuthority,
  verifyAuthoritySignature,
  CardAuthorityError,
  CASD_AID,
  TEST_CARD_AUTHORITY_ROOT,
  type CardAuthorityIdentity,
  type VerifiedCardAuthority,
} from './gp/card-authority.js';
export { SecurityLevel, parseSecurityLevel, type SecureChannelWrapper } from './gp/channel.js';
export { aesCmac, kcvAes, kcvDes3 } from './gp/crypto.js';
export {
  makeKeySet,
  parseKeyHex,
  diversifyKey,
  diversifyKeySet,
  describeKeySet,
  GP_DEFAULT_TEST_KEY,
  SIMULATOR_TEST_MASTER_KEY,
  simulatorDiversification,
  type KeySet,
  type StaticKeys,
  type Diversification,
  type KeyPurpose,
} from './gp/keys.js';
export { Scp02Channel, scp02SessionKeys, Scp02Options } from './gp/scp02.js';
export { Scp03Channel, scp03Kdf, scp03SessionKeys, Scp03Options } from './gp/scp03.js';
export { GpSession, type GpSessionOptions, type ExclusiveAccess } from './gp/session.js';
export * as gpCommands from './gp/commands.js';
export {
  createSecurityDomain,
  SSD_LOAD_FILE_AID,
  SSD_MODULE_AID,
  listRegistry,
  getStatusEntries,
  loadCap,
  sendLoad,
  installApplet,
  deleteAid,
  setApplicationLocked,
  extradite,
  putKeys,
  storeApplicationData,
  type Registry,
  type LoadResult,
  type LoadOptions,
  type InstallOptions,
} from './gp/manager.js';
export { CapFile, type CapInfo, type ComponentName } from './gp/cap/cap.js';
export { referenceCapStatus, appletSourceHash } from './gp/cap/reference.js';
export { loadProfile, parseProfile } from './gp/profile.js';
export { atrMatches, simulatorProfile, type CardProfile } from './gp/card-profile.js';
export {
  secureChannelOptions,
  openScriptSession,
  SECURE_CHANNEL_STEP_KEYS,
  type SecureChannelOpener,
  type SecureChannelSession,
} from './runner/secure-channel.js';
export * from './compat/index.js';
