// The failure converter used when payloads are encrypted (lib/codec.ts): a failure's message
// and stack trace go into an encoded payload, which the codec encrypts, instead of plain
// fields of the history. The worker bundles this file into the workflow sandbox: it may
// import nothing but @temporalio/common.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
