// Original file: proto/holdfast/v1/kv.proto


export interface BackupRequest {
}

export interface BackupRequest__Output {
}
