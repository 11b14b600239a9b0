#!/usr/bin/env python3
"""Writes the fuzz corpus of tagger model files (tests/fuzz/corpus/tagger_model)
from one good model.bin (format version 2; best one trained with external
lists, so that their section is there to damage): the good file,
truncations, a wrong magic, a flipped byte, and hostile header sizes
re-sealed with a valid checksum (so loading reaches the structural checks).
Usage: make_bad_models.py MODEL.bin OUTDIR"""
import os
import struct
import sys

M = (1 << 64) - 1
P1 = 0x9E3779B185EBCA87
P2 = 0xC2B2AE3D27D4EB4F


def mix64(x):
    x ^= x >> 33
    x = (x * 0xff51afd7ed558ccd) & M
    x ^= x >> 33
    x = (x * 0xc4ceb9fe1a85ec53) & M
    x ^= x >> 33
    return x


def checksum(b):
    h = 0x27D4EB2F165667C5 ^ len(b)
    n8 = len(b) - len(b) % 8
    for i in range(0, n8, 8):
        w = 0 if i == 24 else struct.unpack_from('<Q', b, i)[0]
        h ^= (w * P2) & M
        h = ((((h << 31) | (h >> 33)) & M) * P1) & M
    for i in range(n8, len(b)):
        h ^= (b[i] * P1) & M
        h = ((((h << 11) | (h >> 53)) & M) * P2) & M
    return mix64(h)


def sealed(b):
    b = bytearray(b)
    struct.pack_into('<Q', b, 24, checksum(b))
    return bytes(b)


def main():
    good = open(sys.argv[1], 'rb').read()
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    assert checksum(good) == struct.unpack_from('<Q', good, 24)[0], 'checksum mismatch'
    files = {'good.bin': good, 'empty.bin': b'', 'header_only.bin': good[:184],
             'truncated_half.bin': good[:len(good) // 2], 'truncated_1.bin': good[:-1],
             'magic.bin': b'XERTAGR1' + good[8:]}
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    files['flipped_byte.bin'] = bytes(flipped)
    hostile = [(32, '<I', 0), (32, '<I', 1000000), (36, '<I', 7), (44, '<I', 99),
               (52, '<I', 0), (64, '<Q', M - 3), (72, '<Q', M), (80, '<Q', 1 << 62),
               (88, '<Q', 3), (96, '<Q', 1 << 40), (96, '<Q', 3), (104, '<Q', M - 7),
               (112, '<Q', 1 << 61), (120, '<Q', 1 << 50), (16, '<Q', 1 << 40),
               (128, '<Q', M - 15), (136, '<Q', 1 << 45), (136, '<Q', 3),
               (128, '<Q', 8), (8, '<I', 1),
               # version 2: the external lists (bytes 144-183)
               (144, '<Q', M - 15), (144, '<Q', 4), (152, '<Q', 1 << 45), (152, '<Q', 3),
               (160, '<Q', M - 7), (168, '<Q', M), (176, '<I', 9), (176, '<I', 0),
               (180, '<I', 0), (180, '<I', 99)]
    for off, fmt, val in hostile:
        b = bytearray(good)
        struct.pack_into(fmt, b, off, val)
        files['hostile_%d_%x.bin' % (off, val)] = sealed(b)
    # every slot pointing at row 0 with the count claiming all slots used
    b = bytearray(good)
    off_sl, nslots = struct.unpack_from('<QQ', b, 88)
    for i in range(nslots):
        struct.pack_into('<I', b, off_sl + i * 8 + 4, 0)
    struct.pack_into('<Q', b, 120, nslots)
    files['full_table.bin'] = sealed(b)
    # a row count far past the tags
    off_rows = struct.unpack_from('<Q', b, 104)[0]
    b = bytearray(good)
    struct.pack_into('<I', b, off_rows, 0xFFFFFFF0)
    files['row_count.bin'] = sealed(b)
    # a gazetteer label past the labels
    off_gaz, gslots = struct.unpack_from('<QQ', good, 128)
    if gslots:
        b = bytearray(good)
        for i in range(gslots):
            struct.pack_into('<I', b, off_gaz + i * 16 + 8, 200)
        files['gaz_labels.bin'] = sealed(b)
    # external list masks naming lists past the count
    off_xg, xslots = struct.unpack_from('<QQ', good, 144)
    if xslots:
        b = bytearray(good)
        for i in range(xslots):
            struct.pack_into('<I', b, off_xg + i * 16 + 8, 0x7F7F)
        files['xgaz_masks.bin'] = sealed(b)
    for name, data in files.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
