/*
 * Calls the library through the generated C header, as Swift does: the UniFFI contract
 * version, then a verification of a pass against the demo trust bundle, a refused input, and
 * the bundle kept across a restart (keep_bundle_at: nothing stored, then the loaded bundle read
 * back by a second verifier). Built and run by the cargo test
 * `swift_bindings_match_the_library_and_the_c_header_works`.
 *
 * Usage: abi_check EXPECTED_CONTRACT_VERSION PASS_TEXT BUNDLE_PATH (a path that does not exist yet)
 */
#ifndef __clang__
/* clang's nullability qualifiers, which the header uses for Swift; gcc has none. */
#define _Nonnull
#define _Nullable
#endif
#include "healthpass_ffiFFI.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void expect(int condition, const char *what) {
    if (!condition) {
        fprintf(stderr, "FAILED: %s\n", what);
        failures++;
    }
}

static uint32_t read_u32_be(const uint8_t *bytes) {
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) | (uint32_t)bytes[3];
}

static uint64_t read_u64_be(const uint8_t *bytes) {
    return ((uint64_t)read_u32_be(bytes) << 32) | read_u32_be(bytes + 4);
}

static RustBuffer buffer_from(const uint8_t *data, size_t length) {
    RustCallStatus status = {0};
    ForeignBytes bytes = {(int32_t)length, data};
    RustBuffer buffer = ffi_healthpass_ffi_rustbuffer_from_bytes(bytes, &status);
    expect(status.code == 0, "rustbuffer_from_bytes");
    return buffer;
}

/* Each method call consumes one reference to the object, as the generated Swift does by
 * cloning its handle before every call. */
static uint64_t handle_for_call(uint64_t verifier) {
    RustCallStatus status = {0};
    uint64_t handle = uniffi_healthpass_ffi_fn_clone_passverifier(verifier, &status);
    expect(status.code == 0, "clone_passverifier");
    return handle;
}

static void free_buffer(RustBuffer buffer) {
    RustCallStatus status = {0};
    ffi_healthpass_ffi_rustbuffer_free(buffer, &status);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: abi_check EXPECTED_CONTRACT_VERSION PASS_TEXT BUNDLE_PATH\n");
        return 2;
    }
    const char *bundle_path = argv[3];
    uint32_t contract = ffi_healthpass_ffi_uniffi_contract_version();
    expect(contract == (uint32_t)strtoul(argv[1], NULL, 10), "contract version matches the bindings");

    RustCallStatus status = {0};
    /* The demo anchor comes back as a serialized byte array: i32 length, then the bytes. */
    RustBuffer anchor = uniffi_healthpass_ffi_fn_func_demo_trust_anchor(&status);
    expect(status.code == 0 && anchor.len > 4, "demo_trust_anchor");
    /* anchors: Vec<Vec<u8>> is an i32 count followed by each serialized byte array. */
    size_t list_length = 4 + (size_t)anchor.len;
    uint8_t *list = malloc(list_length);
    list[0] = 0; list[1] = 0; list[2] = 0; list[3] = 1;
    memcpy(list + 4, anchor.data, (size_t)anchor.len);
    free_buffer(anchor);
    RustBuffer anchors = buffer_from(list, list_length);
    free(list);

    /* installed: Option<BundleMark> is one byte, 0 = None. */
    const uint8_t none = 0;
    uint64_t verifier = uniffi_healthpass_ffi_fn_constructor_passverifier_new(anchors, buffer_from(&none, 1), &status);
    expect(status.code == 0, "PassVerifier::new");

    /* Keep bundles at BUNDLE_PATH: nothing is stored yet, so Option<BundleInfo> is None (0). */
    RustBuffer nothing = uniffi_healthpass_ffi_fn_method_passverifier_keep_bundle_at(
        handle_for_call(verifier), buffer_from((const uint8_t *)bundle_path, strlen(bundle_path)), 1798761600, &status);
    expect(status.code == 0 && nothing.len == 1 && nothing.data[0] == 0, "keep_bundle_at: nothing stored yet");
    free_buffer(nothing);

    RustBuffer bundle = uniffi_healthpass_ffi_fn_func_demo_trust_bundle(&status);
    expect(status.code == 0, "demo_trust_bundle");
    RustBuffer info = uniffi_healthpass_ffi_fn_method_passverifier_load_bundle(handle_for_call(verifier), bundle, 1798761600, &status);
    expect(status.code == 0 && info.len >= 8, "load_bundle");
    uint64_t sequence = info.len >= 8 ? read_u64_be(info.data) : 0;
    expect(sequence == 1, "the demo bundle's sequence is 1");
    free_buffer(info);

    /* A String argument is its UTF-8 bytes. 2027-01-01T00:00:00Z: the demo pass is in force. */
    const char *text = argv[2];
    RustBuffer verdict = uniffi_healthpass_ffi_fn_method_passverifier_verify_text(
        handle_for_call(verifier), buffer_from((const uint8_t *)text, strlen(text)), 1798761600, &status);
    expect(status.code == 0 && verdict.len >= 4, "verify_text");
    /* The record's first field is the status enum: i32 variant index, 1 = Valid. */
    uint32_t verdict_status = verdict.len >= 4 ? read_u32_be(verdict.data) : 0;
    expect(verdict_status == 1, "the demo pass verifies as valid");
    free_buffer(verdict);

    const char *garbage = "HC1:NOT/A/PASS";
    RustCallStatus error_status = {0};
    RustBuffer refused = uniffi_healthpass_ffi_fn_method_passverifier_verify_text(
        handle_for_call(verifier), buffer_from((const uint8_t *)garbage, strlen(garbage)), 1798761600, &error_status);
    /* code 1: an error of the declared type; its buffer starts with the variant, 2 = NotAPass. */
    expect(error_status.code == 1, "garbage is an error, not a panic");
    expect(error_status.errorBuf.len >= 4 && read_u32_be(error_status.errorBuf.data) == 2, "the error is NotAPass");
    free_buffer(error_status.errorBuf);
    free_buffer(refused);

    uniffi_healthpass_ffi_fn_free_passverifier(verifier, &status);

    /* A restart: a second verifier reads the bundle the first one kept (Some = 1, then the
     * BundleInfo record, whose first field is the sequence). */
    RustBuffer anchor_again = uniffi_healthpass_ffi_fn_func_demo_trust_anchor(&status);
    uint8_t *list_again = malloc(4 + (size_t)anchor_again.len);
    list_again[0] = 0; list_again[1] = 0; list_again[2] = 0; list_again[3] = 1;
    memcpy(list_again + 4, anchor_again.data, (size_t)anchor_again.len);
    RustBuffer anchors_again = buffer_from(list_again, 4 + (size_t)anchor_again.len);
    free(list_again);
    free_buffer(anchor_again);
    uint64_t restarted = uniffi_healthpass_ffi_fn_constructor_passverifier_new(anchors_again, buffer_from(&none, 1), &status);
    expect(status.code == 0, "PassVerifier::new after the restart");
    RustBuffer kept = uniffi_healthpass_ffi_fn_method_passverifier_keep_bundle_at(
        handle_for_call(restarted), buffer_from((const uint8_t *)bundle_path, strlen(bundle_path)), 1798761600, &status);
    expect(status.code == 0 && kept.len >= 9 && kept.data[0] == 1, "keep_bundle_at: the kept bundle");
    uint64_t kept_sequence = kept.len >= 9 ? read_u64_be(kept.data + 1) : 0;
    expect(kept_sequence == 1, "the kept bundle is the demo bundle");
    free_buffer(kept);
    uniffi_healthpass_ffi_fn_free_passverifier(restarted, &status);

    if (failures == 0) {
        printf("contract %u, bundle sequence %llu, verdict valid, garbage refused as NotAPass, bundle kept across a restart\n",
               contract, (unsigned long long)sequence);
    }
    return failures == 0 ? 0 : 1;
}
