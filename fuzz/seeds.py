#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets to fuzz/corpus/<target>/ (stdlib only).

The seeds are small valid (and a few almost valid) inputs of each reader: CSV in UTF-8,
UTF-8 with BOM, CRLF and GBK; GeoJSON collections, features and bare geometries; OSM XML
plain, gzip and bzip2; OSM PBF with dense and plain nodes, raw and zlib blobs (encoded here,
the protobuf wire format by hand); the README's plan example and a few plans. Every kept
regression case (tests/fuzz_regressions/<target>/) is a seed too.
"""
import bz2
import gzip
import pathlib
import re
import shutil
import struct
import zlib

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data.encode() if isinstance(data, str) else data)


# --- CSV -------------------------------------------------------------------------------
POPULATION = (
    "id,lon,lat,residents,aged_60_plus,aged_65_plus,aged_80_plus\n"
    "p1,121.440,31.180,1000,350,280,60\n"
    "p2,121.445,31.182,800,300,240,50\n"
)
FACILITIES = (
    "id,name,type,lon,lat,floor_area_m2\n"
    "F1,一号日照,日间照料中心,121.4405,31.1801,300\n"
    'F2,"二号, ""食堂""",长者食堂,121.4452,31.1822,80\n'
)
write("csv_table", "population.csv", POPULATION)
write("csv_table", "facilities.csv", FACILITIES)
write("csv_table", "bom_crlf.csv", "\ufeff" + FACILITIES.replace("\n", "\r\n"))
write("csv_table", "gbk.csv", FACILITIES.replace(",", ";").encode("gbk"))
write("csv_table", "excel_trailing.csv", "id,name,,\r\n1,a,,\r\n2,b,,\r\n")

# --- GeoJSON ---------------------------------------------------------------------------
SQUARE = "[[121.44,31.18],[121.45,31.18],[121.45,31.19],[121.44,31.19],[121.44,31.18]]"
write(
    "geojson_table",
    "collection.geojson",
    '{"type":"FeatureCollection","features":['
    '{"type":"Feature","geometry":{"type":"Point","coordinates":[121.44,31.18]},'
    '"properties":{"id":"p1","residents":1000,"aged_60_plus":350,"x":null,"b":true}},'
    '{"type":"Feature","geometry":{"type":"Polygon","coordinates":[' + SQUARE + "]},"
    '"properties":{"id":"p2","residents":"800"}},'
    '{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[' + SQUARE + "]]},"
    '"properties":{"name":"街道"}},'
    '{"type":"Feature","geometry":null,"properties":null}]}',
)
write(
    "geojson_table",
    "feature.geojson",
    '{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":['
    '{"type":"LineString","coordinates":[[0,0],[1,1]]},'
    '{"type":"MultiPoint","coordinates":[[0,0],[1,1]]}]},"properties":{"id":1}}',
)
write(
    "geojson_table",
    "bare.geojson",
    '{"type":"Polygon","coordinates":[' + SQUARE + '],"properties":{"name":"a"}}',
)

# --- OSM XML ---------------------------------------------------------------------------
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="seeds.py">
  <node id="1" lat="31.1800000" lon="121.4400000"/>
  <node id="2" lat="31.1810000" lon="121.4410000"><tag k="amenity" v="bench"/></node>
  <node id="-3" lat="31.1820000" lon="121.4420000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="-3"/><tag k="highway" v="footway"/><tag k="name" v="A &amp; B"/></way>
  <way id="11"><nd ref="2"/><nd ref="4"/><tag k="building" v="yes"/></way>
  <way id="12"/>
  <relation id="5"><member type="way" ref="10" role=""/></relation>
</osm>
"""
write("osm_xml", "streets.osm", OSM)
write("osm_xml", "streets.osm.gz", gzip.compress(OSM.encode(), mtime=0))
write("osm_xml", "streets.osm.bz2", bz2.compress(OSM.encode()))


# --- OSM PBF (protobuf wire format by hand) --------------------------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def key(field, wire):
    return varint(field << 3 | wire)


def vint(field, n):
    return key(field, 0) + varint(n & 0xFFFFFFFFFFFFFFFF)


def sint(field, n):
    return key(field, 0) + varint(zigzag(n))


def ld(field, data):
    data = data.encode() if isinstance(data, str) else data
    return key(field, 2) + varint(len(data)) + data


def packed(field, values, signed=False):
    return ld(field, b"".join(varint(zigzag(v) if signed else v) for v in values))


def deltas(values):
    out, prev = [], 0
    for v in values:
        out.append(v - prev)
        prev = v
    return out


def blob(kind, message, compress):
    if compress:
        body = vint(2, len(message)) + ld(3, zlib.compress(message))
    else:
        body = ld(1, message)
    header = ld(1, kind) + vint(3, len(body))
    return struct.pack(">I", len(header)) + header + body


def pbf(dense, compress):
    header_block = ld(4, "OsmSchema-V0.6") + ld(4, "DenseNodes") + ld(16, "seeds.py")
    strings = [b"", b"highway", b"footway", b"name", "街".encode(), b"building", b"yes"]
    stringtable = b"".join(ld(1, s) for s in strings)
    ids, lats, lons = [1, 2, 3], [311800000, 311810000, 311820000], [1214400000, 1214410000, 1214420000]
    if dense:
        nodes = ld(
            2,
            packed(1, deltas(ids), True)
            + packed(8, deltas(lats), True)
            + packed(9, deltas(lons), True)
            + packed(10, [3, 4, 0, 0, 0]),
        )
    else:
        nodes = b"".join(
            ld(1, sint(1, i) + sint(8, la) + sint(9, lo)) for i, la, lo in zip(ids, lats, lons)
        )
    ways = ld(
        3,
        vint(1, 10) + packed(2, [1, 3]) + packed(3, [2, 4]) + packed(8, deltas([1, 2, 3]), True),
    ) + ld(3, vint(1, 11) + packed(2, [5]) + packed(3, [6]) + packed(8, deltas([2, 4]), True))
    relation = ld(
        4, vint(1, 5) + packed(8, [0]) + packed(9, deltas([10]), True) + packed(10, [1])
    )
    primitive = ld(1, stringtable) + ld(2, nodes) + ld(2, ways) + ld(2, relation) + vint(17, 100)
    return blob("OSMHeader", header_block, compress) + blob("OSMData", primitive, compress)


write("osm_pbf", "dense_raw.osm.pbf", pbf(dense=True, compress=False))
write("osm_pbf", "dense_zlib.osm.pbf", pbf(dense=True, compress=True))
write("osm_pbf", "nodes_raw.osm.pbf", pbf(dense=False, compress=False))

# --- plans -----------------------------------------------------------------------------
readme = (ROOT / "README.md").read_text(encoding="utf-8")
for i, block in enumerate(re.findall(r"```toml\n(.*?)```", readme, re.S)):
    write("plan_toml", f"readme_{i}.toml", block)
write(
    "plan_toml",
    "minimal.toml",
    '[study]\nname = "fuzz"\noutput_dir = "out"\n'
    '[population]\npath = "population.csv"\n[facilities]\npath = "facilities.csv"\n',
)
write(
    "plan_toml",
    "full.toml",
    """[study]
name = "fuzz"
output_dir = "out"
analysis_crs = "EPSG:32651"
[standards]
preset = "xuhui-2025"
[population]
path = "population.geojson"
crs = "GCJ02"
geometry = "polygons"
grid_cell_m = 50
fields = { id = "", residents = "pop", aged_60 = "a60", aged_65 = "", aged_80 = "" }
[facilities]
path = "facilities.csv"
crs = "BD09"
encoding = "gbk"
delimiter = ";"
unknown_kinds = "skip"
kind_labels = { "日照" = "day_care" }
[subdistricts]
path = "jiedao.geojson"
[committees]
path = "juwei.geojson"
crs = "EPSG:4490"
[network]
path = "streets.osm.pbf"
[[circles]]
name = "15-minute"
radius_m = 900
[siting]
model = "mclp"
new_sites = 3
""",
)

# --- a whole layer: the first byte picks the plan (fuzz_targets/population_layer.rs) ----
write("population_layer", "wgs84.csv", b"\x00" + POPULATION.encode())
write("population_layer", "gbk.csv", b"\x01" + POPULATION.replace(",", ";").encode("gbk"))
write(
    "population_layer",
    "utm.csv",
    b"\x02" + b"id,x,y,pop,aged_60_plus\n1,350000,3450000,100,20\n2,350100.5,3450000,50,5\n",
)
GEOJSON_POP = (
    '{"type":"FeatureCollection","features":['
    '{"type":"Feature","geometry":{"type":"Polygon","coordinates":[' + SQUARE + "]},"
    '"properties":{"id":"c1","residents":1000,"aged_60_plus":350,"aged_65_plus":200,'
    '"aged_80_plus":30}}]}'
)
write("population_layer", "bd09.geojson", b"\x03" + GEOJSON_POP.encode())
write("population_layer", "polygons.geojson", b"\x04" + GEOJSON_POP.encode())

# --- the kept regression cases ----------------------------------------------------------
regressions = ROOT / "tests" / "fuzz_regressions"
if regressions.is_dir():
    for case in sorted(regressions.glob("*/*")):
        if case.is_file():
            d = CORPUS / case.parent.name
            d.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(case, d / f"regression_{case.name}")
print(f"seeds written to {CORPUS}")
