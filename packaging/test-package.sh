#!/usr/bin/env bash
# CTest test_packaging: builds the Debian package with CPack, unpacks it into a scratch root with dpkg -x
# (no root, no chroot) and checks what a user installing it would meet: the package's name, version and
# runtime dependencies, the installed ranklab-cli and ranklab (version = project(VERSION), a real `info`),
# the .desktop file, the AppStream metainfo, the hicolor icons and both man pages.
# Usage: test-package.sh <build dir> <version> <app id> "<icon sizes>" <scratch dir>
set -uo pipefail

build_dir=$1 version=$2 app_id=$3 icon_sizes=$4 scratch=$5
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check <description> <command...>: passes when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

rm -rf "$scratch" && mkdir -p "$scratch/out" "$scratch/root" || { echo "cannot make $scratch"; exit 1; }

# --- build the package ---
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  fail "cpack -G DEB builds the package"
  finish
fi
debs=("$scratch"/out/*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  cat "$scratch/cpack.log"
  fail "cpack wrote exactly one .deb (found: ${debs[*]})"
  finish
fi
deb=${debs[0]}
arch=$(dpkg --print-architecture)
check "package file is named ranklab_${version}_${arch}.deb" test "$(basename "$deb")" = "ranklab_${version}_${arch}.deb"

# --- control fields ---
field() { dpkg-deb --field "$deb" "$1"; }
check "Package: ranklab" test "$(field Package)" = ranklab
check "Version: $version (project(VERSION))" test "$(field Version)" = "$version"
depends=$(field Depends)
echo "Depends: $depends"
echo "Recommends: $(field Recommends)"
for pkg in libtorch1.13 libqt6widgets6 libqt6core6 libqcustomplot2.1-qt6 qt6-qpa-plugins; do
  check "Depends names the runtime package $pkg" grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends"
done
check "Depends names no -dev package" bash -c '! tr "," "\n" <<<"$1" | grep -Eq -- "-dev( |$)"' _ "$depends"
check "Recommends libopenblas0-openmp (libtorch's fast BLAS)" grep -q libopenblas0-openmp <<<"$(field Recommends)"

# --- unpack without installing ---
if ! dpkg-deb -x "$deb" "$scratch/root"; then
  fail "dpkg-deb -x unpacks the package"
  finish
fi
root=$scratch/root
usr=$root/usr

# --- the installed programs ---
check "installs /usr/bin/ranklab-cli" test -x "$usr/bin/ranklab-cli"
check "installs /usr/bin/ranklab" test -x "$usr/bin/ranklab"
cli_version=$("$usr/bin/ranklab-cli" --version 2>&1)
check "installed ranklab-cli --version prints 'ranklab-cli $version' (got '$cli_version')" \
  test "$cli_version" = "ranklab-cli $version"
gui_version=$(QT_QPA_PLATFORM=offscreen "$usr/bin/ranklab" --version 2>&1)
check "installed ranklab --version prints 'ranklab $version' (got '$gui_version')" \
  test "$gui_version" = "ranklab $version"

# lenet300 is 784-300-100-10: 784*300+300 + 300*100+100 + 100*10+10 = 235500 + 30100 + 1010 = 266610 parameters.
info=$("$usr/bin/ranklab-cli" info --model lenet300 2>&1)
info_rc=$?
echo "$info"
check "installed ranklab-cli info --model lenet300 exits 0" test "$info_rc" -eq 0
check "info reports lenet300's 266610 parameters" grep -q "^lenet300: 266610 parameters" <<<"$info"
layers=$(awk '$3 == "Linear" {print $2 ":" $7}' <<<"$info" | tr '\n' ' ')
check "info lists lenet300's linear layers fc1 235500, fc2 30100, fc3 1010 parameters (got: $layers)" \
  test "$layers" = "fc1:235500 fc2:30100 fc3:1010 "
"$usr/bin/ranklab-cli" info --model no_such_model >/dev/null 2>"$scratch/bad.err"
bad_rc=$?
check "installed ranklab-cli rejects an unknown model with a non-zero exit and a message" \
  bash -c '[ "$1" -ne 0 ] && [ -s "$2" ]' _ "$bad_rc" "$scratch/bad.err"

# --- the walk-through parameter files ---
examples=$usr/share/ranklab/examples
check "installs the README walk-throughs' parameter files in /usr/share/ranklab/examples" test -f "$examples/a1-sweep.json"
params_out=$("$usr/bin/ranklab-cli" train --params "$examples/a1-sweep.json" 2>&1)
check "installed ranklab-cli reads an installed parameter file (and names its command: got '$params_out')" \
  grep -q "parameter file for 'sweep'" <<<"$params_out"

# --- desktop integration ---
desktop=$usr/share/applications/$app_id.desktop
metainfo=$usr/share/metainfo/$app_id.metainfo.xml
check "installs the .desktop file $app_id.desktop" test -f "$desktop"
check "installs the AppStream metainfo $app_id.metainfo.xml" test -f "$metainfo"
if command -v desktop-file-validate >/dev/null; then
  check "desktop-file-validate accepts the .desktop file" desktop-file-validate "$desktop"
else
  echo "SKIP: desktop-file-validate not installed (package desktop-file-utils)"
fi
exec_cmd=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
check "the .desktop Exec ($exec_cmd) is an installed program" test -x "$usr/bin/$exec_cmd"
check "the .desktop Icon is the app id" test "$(sed -n 's/^Icon=//p' "$desktop")" = "$app_id"
if command -v appstreamcli >/dev/null; then
  check "appstreamcli validate accepts the metainfo" appstreamcli validate --no-net "$metainfo"
else
  echo "SKIP: appstreamcli not installed (package appstream)"
fi
check "metainfo <id> is the app id" grep -q "<id>$app_id</id>" "$metainfo"
check "metainfo launches the installed .desktop file" grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo"
newest_release=$(grep -o '<release [^>]*version="[^"]*"' "$metainfo" | head -1 | sed 's/.*version="\([^"]*\)"/\1/')
check "newest metainfo release ($newest_release) is the package version" test "$newest_release" = "$version"

# --- icons ---
icons=$usr/share/icons/hicolor
check "installs the scalable SVG icon" grep -q "<svg" "$icons/scalable/apps/$app_id.svg"
for size in $icon_sizes; do
  png=$icons/${size}x${size}/apps/$app_id.png
  # PNG header: the IHDR width and height are big-endian 32-bit integers at bytes 16 and 20.
  dims=$(od -An -tu1 -j16 -N8 "$png" 2>/dev/null | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
  check "installs a ${size}x${size} PNG icon (found ${dims:-none})" test "$dims" = "${size}x${size}"
done

# --- man pages ---
for prog in ranklab-cli ranklab; do
  page=$usr/share/man/man1/$prog.1.gz
  check "installs the $prog(1) man page" test -f "$page"
  rendered=$(MANWIDTH=100 man --warnings -l "$page" 2>"$scratch/man-$prog.err")
  check "man renders $prog(1) without warnings" test -n "$rendered" -a ! -s "$scratch/man-$prog.err"
  check "$prog(1) names version $version" grep -q "RankLab $version" <<<"$rendered"
done
cli_page=$(MANWIDTH=100 man -l "$usr/share/man/man1/ranklab-cli.1.gz" 2>/dev/null)
commands=$("$usr/bin/ranklab-cli" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
check "ranklab-cli --help lists commands" test -n "$commands"
for c in $commands; do
  # the command's subsection: from its heading to the next heading (subsection or section)
  section=$(awk -v h="   ranklab-cli $c" '$0 == h {on = 1; next} on && (/^   ranklab-cli [a-z-]+$/ || /^[A-Z]/) {exit} on' <<<"$cli_page")
  options=$("$usr/bin/ranklab-cli" "$c" --help | grep -oE '^  --[a-z0-9-]+' | tr -d ' ')
  missing=""
  for o in $options; do grep -qE -- "^ +$o( |$)" <<<"$section" || missing="$missing $o"; done
  check "ranklab-cli(1) has a '$c' subsection with its $(wc -w <<<"$options") options${missing:+ (missing:$missing)}" \
    test -n "$section" -a -n "$options" -a -z "$missing"
done

finish
