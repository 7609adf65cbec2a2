// Original file: proto/holdfast/v1/kv.proto


export interface LeaseListRequest {
}

export interface LeaseListRequest__Output {
}
