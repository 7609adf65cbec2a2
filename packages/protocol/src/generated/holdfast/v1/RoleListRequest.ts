// Original file: proto/holdfast/v1/auth.proto


export interface RoleListRequest {
}

export interface RoleListRequest__Output {
}
