# The accounts and notices the browser tests expect, written into the
# database the environment names (DATABASE_URL, or SQLite under
# AUTOBANK_DATA_DIR). Sourced by serve.sh and proxy/run.sh, then called
# with the server binary: seed "$bin".
seed() {
  local bin="$1" id
  "$bin" migrate >/dev/null
  # Test-only accounts: these passwords exist only in this throwaway database.
  for id in $(seq -f "dealer%02g" 1 27); do
    echo "e2e-Pass-phrase-${id: -2}-kiwi" | "$bin" user add "$id" --name "テスト販売店 $id" >/dev/null
  done
  for id in $(seq -f "hd%02g" 1 10); do
    echo "e2e-Pass-phrase-${id: -2}-kiwi" | "$bin" user add "$id" --name "ヘルプデスク $id" --role helpdesk >/dev/null
  done
  for id in admin01 admin02 admin03 admin04 admin05 admin06; do
    echo "e2e-Pass-phrase-${id: -2}-kiwi" | "$bin" user add "$id" --name "管理者 $id" --role admin >/dev/null
  done
  "$bin" notice add --date "$(TZ=Asia/Tokyo date +%F)" --title "テスト用の新しいお知らせ" --body "本文です。"
  "$bin" notice add --date 2022-08-10 --title "8月11日(木)~8月16日(火)オークネット 夏引"
}
