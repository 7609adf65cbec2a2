// Original file: proto/holdfast/v1/auth.proto


export interface AuthDisableRequest {
}

export interface AuthDisableRequest__Output {
}
