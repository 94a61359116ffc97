/*
 * Calls the library through the generated C header, as Swift does: the UniFFI contract
 * version, then a verification of a pass against the demo trust bundle, a refused input, and
 * the bundle kept across a restart (keep_bundle_at: nothing stored, then the loaded bundle read
 * back by a second verifier), and the foreign Signer implemented in C through its vtable: its
 * public key feeds a device enrolment, and its failing sign() reaches the caller as a Platform
 * error with its message. Built and run by the cargo test
 * `swift_bindings_match_the_library_and_the_c_header_works`.
 *
 * Usage: abi_check EXPECTED_CONTRACT_VERSION PASS_TEXT BUNDLE_PATH SIGNER_CERT_PEM_PATH
 *        SIGNER_PUBLIC_KEY_HEX EXPECTED_DEVICE_ID
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

/* The demo anchor as a one-element Vec<Vec<u8>>: an i32 count, then the serialized byte array
 * (i32 length, then the bytes) demo_trust_anchor returns. */
static RustBuffer demo_anchor_list(void) {
    RustCallStatus status = {0};
    RustBuffer anchor = uniffi_healthpass_ffi_fn_func_demo_trust_anchor(&status);
    expect(status.code == 0 && anchor.len > 4, "demo_trust_anchor");
    size_t list_length = 4 + (size_t)anchor.len;
    uint8_t *list = malloc(list_length);
    list[0] = 0; list[1] = 0; list[2] = 0; list[3] = 1;
    memcpy(list + 4, anchor.data, (size_t)anchor.len);
    free_buffer(anchor);
    RustBuffer anchors = buffer_from(list, list_length);
    free(list);
    return anchors;
}

/* ---- A growable byte writer for UniFFI's serialized forms (big-endian, strings and byte arrays
 * prefixed with an i32 length). */
typedef struct {
    uint8_t *data;
    size_t length;
} Writer;

static void put(Writer *writer, const void *bytes, size_t length) {
    writer->data = realloc(writer->data, writer->length + length);
    memcpy(writer->data + writer->length, bytes, length);
    writer->length += length;
}

static void put_i32(Writer *writer, int32_t value) {
    uint8_t bytes[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value};
    put(writer, bytes, 4);
}

static void put_i64(Writer *writer, int64_t value) {
    put_i32(writer, (int32_t)(value >> 32));
    put_i32(writer, (int32_t)value);
}

static void put_bytes(Writer *writer, const uint8_t *bytes, size_t length) {
    put_i32(writer, (int32_t)length);
    put(writer, bytes, length);
}

static void put_string(Writer *writer, const char *text) { put_bytes(writer, (const uint8_t *)text, strlen(text)); }

/* ---- The foreign Signer: a fixed public key, and a sign() that fails like a removed card. */
static uint8_t signer_public_key[65];
static size_t signer_public_key_length = 0;
static int sign_calls = 0;

static void signer_free(uint64_t handle) { (void)handle; }

static uint64_t signer_clone(uint64_t handle) { return handle; }

static void signer_public_key_method(uint64_t handle, RustBuffer *out, RustCallStatus *status) {
    (void)handle;
    Writer writer = {0};
    put_bytes(&writer, signer_public_key, signer_public_key_length);
    *out = buffer_from(writer.data, writer.length);
    free(writer.data);
    status->code = 0;
}

static void signer_sign_method(uint64_t handle, RustBuffer data, RustBuffer *out, RustCallStatus *status) {
    (void)handle;
    sign_calls++;
    free_buffer(data);
    /* An error of the declared type: code 1, and the serialized HealthpassError (variant 4 =
     * Platform, then its reason). */
    Writer writer = {0};
    put_i32(&writer, 4);
    put_string(&writer, "smart card removed");
    status->code = 1;
    status->errorBuf = buffer_from(writer.data, writer.length);
    free(writer.data);
    out->len = 0;
}

static UniffiVTableCallbackInterfaceSigner signer_vtable = {
    signer_free, signer_clone, signer_public_key_method, signer_sign_method,
};

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static size_t read_file(const char *path, uint8_t **bytes) {
    FILE *file = fopen(path, "rb");
    if (!file) return 0;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    *bytes = malloc((size_t)size);
    size_t read = fread(*bytes, 1, (size_t)size, file);
    fclose(file);
    return read;
}

/* Reads a serialized string at *offset of buffer into a NUL-terminated copy. */
static char *take_string(RustBuffer buffer, size_t *offset) {
    if (*offset + 4 > (size_t)buffer.len) return NULL;
    uint32_t length = read_u32_be(buffer.data + *offset);
    *offset += 4;
    if (*offset + length > (size_t)buffer.len) return NULL;
    char *text = malloc(length + 1);
    memcpy(text, buffer.data + *offset, length);
    text[length] = 0;
    *offset += length;
    return text;
}

static void check_foreign_signer(const char *certificate_path, const char *public_key_hex, const char *device_id) {
    for (size_t i = 0; public_key_hex[2 * i] && public_key_hex[2 * i + 1] && i < sizeof signer_public_key; i++) {
        signer_public_key[i] = (uint8_t)(hex_value(public_key_hex[2 * i]) * 16 + hex_value(public_key_hex[2 * i + 1]));
        signer_public_key_length = i + 1;
    }
    uniffi_healthpass_ffi_fn_init_callback_vtable_signer(&signer_vtable);
    /* The foreign side's own handle for its signer object: foreign handles have their lowest bit
     * set (UniFFI tells them from Rust pointers by it). */
    const uint64_t handle = 43;

    RustCallStatus status = {0};
    const char *pharmacy_id = "FINESS-750000001";
    const char *pharmacy_name = "Pharmacie du Centre";
    RustBuffer enrolment = uniffi_healthpass_ffi_fn_func_device_enrolment(handle,
        buffer_from((const uint8_t *)pharmacy_id, strlen(pharmacy_id)),
        buffer_from((const uint8_t *)pharmacy_name, strlen(pharmacy_name)), &status);
    expect(status.code == 0, "device_enrolment through the C signer's public key");
    if (status.code != 0) {
        size_t at = 4;
        char *why = take_string(status.errorBuf, &at);
        fprintf(stderr, "device_enrolment: %s\n", why ? why : "?");
        free(why);
        return;
    }
    size_t offset = 0;
    char *enrolled_id = status.code == 0 ? take_string(enrolment, &offset) : NULL;
    expect(enrolled_id && strcmp(enrolled_id, device_id) == 0, "the device id is the kid of the C signer's key");
    free(enrolled_id);
    free_buffer(enrolment);

    uint8_t *certificate = NULL;
    size_t certificate_length = read_file(certificate_path, &certificate);
    expect(certificate_length > 0, "the signer certificate file");
    Writer certificate_arg = {0};
    put_bytes(&certificate_arg, certificate, certificate_length);
    free(certificate);
    const char *country = "FR";
    uint64_t issuer = uniffi_healthpass_ffi_fn_constructor_passissuer_new(handle,
        buffer_from(certificate_arg.data, certificate_arg.length), buffer_from((const uint8_t *)country, 2), 72, &status);
    free(certificate_arg.data);
    expect(status.code == 0, "PassIssuer::new with the C signer (its key matches the certificate)");
    if (status.code != 0) {
        size_t at = 4;
        char *why = take_string(status.errorBuf, &at);
        fprintf(stderr, "PassIssuer::new: %s\n", why ? why : "?");
        free(why);
        return;
    }

    /* TestPassRequest, field by field: strings, enum TestType (1 = RapidAntigen), Option<String>
     * device (1, "1232"), Option<String> test name (0 = None), i64 sampled_at, enum TestResult
     * (1 = Negative), strings, Option<String> transfer code (0 = None). */
    Writer request = {0};
    put_string(&request, "Martin");
    put_string(&request, "Camille");
    put_string(&request, "1990-02-01");
    put_i32(&request, 1);
    uint8_t some = 1, none = 0;
    put(&request, &some, 1);
    put_string(&request, "1232");
    put(&request, &none, 1);
    put_i64(&request, 1798758000);
    put_i32(&request, 1);
    put_string(&request, "Pharmacie du Centre");
    put_string(&request, "FR");
    put_string(&request, "Ministère de la Santé");
    put(&request, &none, 1);
    RustCallStatus failed = {0};
    RustBuffer pass = uniffi_healthpass_ffi_fn_method_passissuer_issue_test(
        uniffi_healthpass_ffi_fn_clone_passissuer(issuer, &status), buffer_from(request.data, request.length),
        1798761600, &failed);
    free(request.data);
    expect(sign_calls == 1, "issue_test called the C signer's sign() once");
    expect(failed.code == 1, "a failing foreign signer is an error, not a panic");
    expect(failed.errorBuf.len >= 4 && read_u32_be(failed.errorBuf.data) == 4, "the error is Platform");
    offset = 4;
    char *reason = failed.code == 1 ? take_string(failed.errorBuf, &offset) : NULL;
    expect(reason && strstr(reason, "smart card removed"), "the signer's message reaches the caller");
    free(reason);
    free_buffer(failed.errorBuf);
    free_buffer(pass);
    uniffi_healthpass_ffi_fn_free_passissuer(issuer, &status);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: abi_check EXPECTED_CONTRACT_VERSION PASS_TEXT BUNDLE_PATH SIGNER_CERT_PEM_PATH "
                        "SIGNER_PUBLIC_KEY_HEX EXPECTED_DEVICE_ID\n");
        return 2;
    }
    const char *bundle_path = argv[3];
    uint32_t contract = ffi_healthpass_ffi_uniffi_contract_version();
    expect(contract == (uint32_t)strtoul(argv[1], NULL, 10), "contract version matches the bindings");

    RustCallStatus status = {0};
    RustBuffer anchors = demo_anchor_list();

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
    uint64_t restarted = uniffi_healthpass_ffi_fn_constructor_passverifier_new(demo_anchor_list(), buffer_from(&none, 1), &status);
    expect(status.code == 0, "PassVerifier::new after the restart");
    RustBuffer kept = uniffi_healthpass_ffi_fn_method_passverifier_keep_bundle_at(
        handle_for_call(restarted), buffer_from((const uint8_t *)bundle_path, strlen(bundle_path)), 1798761600, &status);
    expect(status.code == 0 && kept.len >= 9 && kept.data[0] == 1, "keep_bundle_at: the kept bundle");
    uint64_t kept_sequence = kept.len >= 9 ? read_u64_be(kept.data + 1) : 0;
    expect(kept_sequence == 1, "the kept bundle is the demo bundle");
    free_buffer(kept);
    uniffi_healthpass_ffi_fn_free_passverifier(restarted, &status);

    check_foreign_signer(argv[4], argv[5], argv[6]);

    if (failures == 0) {
        printf("contract %u, bundle sequence %llu, verdict valid, garbage refused as NotAPass, bundle kept across a restart, "
               "foreign signer called\n",
               contract, (unsigned long long)sequence);
    }
    return failures == 0 ? 0 : 1;
}
