// Original file: proto/holdfast/v1/auth.proto


export interface UserListRequest {
}

export interface UserListRequest__Output {
}
