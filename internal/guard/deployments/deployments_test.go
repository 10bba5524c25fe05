package deployments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestOfficialTable(t *testing.T) {
	s := Official()
	for addr, want := range map[string]string{
		"0x8D29bE29923b68abfDD21e541b9374737B49cdAD": "MultiSend 1.1.1",
		"0x40A2aCCbd92BCA938b02010E17A5b8929b49130D": "MultiSendCallOnly 1.3.0",
		"0x34CfAC646f301356fAa8B21e94227e3583Fe3F5F": "GnosisSafe 1.1.1",
		"0x41675C099F32341bf84BFc5382aF534df5C7461a": "Safe 1.4.1",
		"0x526643F69b81B008F46d95CD5ced5eC0edFFDaC6": "SafeMigration 1.4.1",
	} {
		d, ok := s.ByAddress(common.HexToAddress(addr))
		if !ok || d.Name() != want {
			t.Errorf("%s: %q %v, want %s", addr, d.Name(), ok, want)
		}
	}
	if d, _ := s.ByAddress(common.HexToAddress("0x8D29bE29923b68abfDD21e541b9374737B49cdAD")); d.Role() != RoleLibrary {
		t.Error("MultiSend is not a library")
	}
	if d, _ := s.ByAddress(common.HexToAddress("0x41675C099F32341bf84BFc5382aF534df5C7461a")); d.Role() != RoleSingleton {
		t.Error("Safe 1.4.1 is not a singleton")
	}
	if _, ok := s.ByAddress(common.HexToAddress("0x96221423681A6d52E184D440a8eFCEbB105C7242")); ok {
		t.Error("the Bybit implant is listed as official")
	}
	if d, ok := s.ByCodeHash(common.HexToHash("0xecd5bd14a08c5d2122379900b2f272bdf107a7e92423c10dd5fe3254386c9939")); !ok || d.Contract != "MultiSendCallOnly" {
		t.Errorf("code hash lookup: %+v", d)
	}
	if PackageLicense != "MIT" || PackageVersion == "" {
		t.Errorf("provenance %s %s", PackageVersion, PackageLicense)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`[{"contract":"MultiSend","asset":"multi_send","version":"1.4.1","address":"0x00000000000000000000000000000000000000aa"}]`), 0o644)
	s := Official()
	if err := s.LoadFile(good); err != nil {
		t.Fatal(err)
	}
	if d, ok := s.ByAddress(common.HexToAddress("0xaa")); !ok || d.Kind != "local" || d.Role() != RoleLibrary {
		t.Errorf("%+v", d)
	}
	if _, ok := Official().ByAddress(common.HexToAddress("0xaa")); ok {
		t.Error("adding to one set changed another")
	}
	for name, body := range map[string]string{"not json": "{", "bad address": `[{"contract":"X","asset":"multi_send","address":"0x12"}]`, "no asset": `[{"contract":"X","address":"0x00000000000000000000000000000000000000aa"}]`} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, []byte(body), 0o644)
		if err := s.LoadFile(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
