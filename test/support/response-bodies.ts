import type { ErrorResponseDto } from '../../src/common/error-response.dto';
import type { RelanceStatsResponseDto } from '../../src/relance/admin/dto/stats-response.dto';
import type { DisconnectResponseDto } from '../../src/relance/dto/disconnect-response.dto';
import type { QrCodeResponseDto } from '../../src/relance/dto/qr-response.dto';
import type { StatusResponseDto } from '../../src/relance/dto/status-response.dto';

/**
 * A response DTO as it arrives over HTTP: dates are ISO strings after
 * JSON.stringify. Typing supertest's `response.body` from the DTOs keeps the
 * tests in step with the documented shapes.
 */
export type Json<T> = T extends Date
  ? string
  : T extends (infer Item)[]
    ? Json<Item>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type ErrorBody = ErrorResponseDto;
export type StatusBody = Json<StatusResponseDto>;
export type QrBody = QrCodeResponseDto;
export type DisconnectBody = DisconnectResponseDto;
export type StatsBody = Json<RelanceStatsResponseDto>;
