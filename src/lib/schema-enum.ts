import { Type } from '@sinclair/typebox';

/** A string enum that fails with ONE violation ("must be equal to one of the allowed values"). */
export const Enum = <const V extends string>(values: readonly V[]) => Type.Unsafe<V>({ type: 'string', enum: [...values] });
