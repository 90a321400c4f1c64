import protobuf from 'protobufjs';

/**
 * The part of onnx.proto (ONNX IR, proto2) that graph adaptation reads and writes, with the
 * field numbers of the ONNX spec. Messages it never looks inside (functions, training info,
 * sparse tensors, annotations, device configurations, non-tensor types) are declared as
 * `bytes` under their own field numbers, so they pass through decode and encode unchanged.
 * protobufjs drops fields a schema does not declare; `decodeModel` checks that re-encoding
 * gives back the very same bytes, so a model with fields this schema lacks is refused, not
 * silently altered.
 */
const ONNX_SUBSET = `
syntax = "proto2";
package onnx;

message AttributeProto {
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  optional bytes sparse_tensor = 22;
  optional TypeProto tp = 14;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  repeated bytes sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
  repeated StringStringEntryProto metadata_props = 4;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  optional string overload = 8;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
  repeated bytes device_configurations = 10;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
  repeated bytes training_info = 20;
  repeated bytes functions = 25;
  repeated bytes configuration = 26;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated bytes sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated bytes quantization_annotation = 14;
  repeated StringStringEntryProto metadata_props = 16;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional bytes segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    bytes sequence_type = 4;
    bytes map_type = 5;
    bytes optional_type = 9;
    bytes sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** int64 fields decode as numbers or, where the long package is found, as Long objects. */
export type Int64 = number | { toNumber(): number };

export interface StringEntry {
	key?: string;
	value?: string;
}

export interface Dimension {
	dimValue?: Int64;
	dimParam?: string;
	denotation?: string;
}

export interface TypeProto {
	tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } };
	[other: string]: unknown;
}

export interface ValueInfo {
	name?: string;
	type?: TypeProto;
	docString?: string;
	metadataProps?: StringEntry[];
}

export interface TensorProto {
	dims?: Int64[];
	dataType?: number;
	floatData?: number[];
	name?: string;
	rawData?: Uint8Array;
	externalData?: StringEntry[];
	dataLocation?: number;
	[other: string]: unknown;
}

export interface AttributeProto {
	name?: string;
	type?: number;
	f?: number;
	i?: Int64;
	s?: Uint8Array;
	t?: TensorProto;
	g?: GraphProto;
	ints?: Int64[];
	[other: string]: unknown;
}

export interface NodeProto {
	input?: string[];
	output?: string[];
	name?: string;
	opType?: string;
	domain?: string;
	attribute?: AttributeProto[];
	[other: string]: unknown;
}

export interface GraphProto {
	node?: NodeProto[];
	name?: string;
	initializer?: TensorProto[];
	input?: ValueInfo[];
	output?: ValueInfo[];
	valueInfo?: ValueInfo[];
	[other: string]: unknown;
}

export interface ModelProto {
	irVersion?: Int64;
	opsetImport?: { domain?: string; version?: Int64 }[];
	graph?: GraphProto;
	[other: string]: unknown;
}

/** TensorProto.DataType values this module meets. */
export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;
export const ONNX_EXTERNAL = 1;
/** AttributeProto.AttributeType values. */
export const ATTR_INT = 2;

let modelType: protobuf.Type | undefined;

function modelProtoType(): protobuf.Type {
	modelType ??= protobuf
		.parse(ONNX_SUBSET, { keepCase: false })
		.root.lookupType('onnx.ModelProto');
	return modelType;
}

export class OnnxDecodeError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'OnnxDecodeError';
	}
}

/** Decodes model.onnx bytes; throws unless encoding the result gives back exactly `bytes`. */
export function decodeModel(bytes: Uint8Array, source: string): ModelProto {
	const type = modelProtoType();
	let model: ModelProto;
	try {
		model = type.decode(bytes) as unknown as ModelProto;
	} catch (err) {
		throw new OnnxDecodeError(`${source} is not an ONNX model: ${(err as Error).message}`);
	}
	const again = type.encode(model as unknown as protobuf.Message).finish();
	if (!sameBytes(again, bytes)) {
		throw new OnnxDecodeError(
			`${source} holds ONNX fields this reader does not know (re-encoding it gives ${again.length} bytes, not ${bytes.length}), so it cannot be adapted without losing them`,
		);
	}
	return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
	return modelProtoType()
		.encode(model as unknown as protobuf.Message)
		.finish();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function int64(value: Int64 | undefined): number {
	if (value === undefined) return 0;
	return typeof value === 'number' ? value : value.toNumber();
}
