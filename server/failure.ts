// A protocol error on its way out: the HTTP status and the {error:{code,message}} body.

import { protocolError, type ErrorDetails, type ErrorResponse, type ProtocolErrorBody, type ProtocolErrorCode } from '../contract/sync-protocol.ts';

export class ProtocolFailure extends Error {
  readonly statusCode: number;
  readonly body: ProtocolErrorBody;
  constructor(code: ProtocolErrorCode, details?: ErrorDetails) {
    const { status, ...body } = protocolError(code, details);
    super(body.message.en);
    this.name = 'ProtocolFailure';
    this.statusCode = status;
    this.body = body;
  }
  toResponse(): ErrorResponse {
    return { error: this.body };
  }
}

/** The per-item error of a rejected push item (same code and words, no HTTP status). */
export function itemError(code: ProtocolErrorCode, details?: ErrorDetails): ProtocolErrorBody {
  const { status: _status, ...body } = protocolError(code, details);
  return body;
}
