import { installErrorLogGuard } from './error-logs';

// setupFilesAfterEnv of both jest configs: every spec fails on an error line it did not declare.
installErrorLogGuard();
