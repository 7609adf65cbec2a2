// Original file: proto/holdfast/v1/auth.proto


export interface AuthStatusRequest {
}

export interface AuthStatusRequest__Output {
}
