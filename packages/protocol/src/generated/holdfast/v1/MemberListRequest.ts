// Original file: proto/holdfast/v1/kv.proto


export interface MemberListRequest {
}

export interface MemberListRequest__Output {
}
