package compat

// The broker under test: one weir process per test binary, started by TestMain on a free
// loopback port with a temporary log dir, and always stopped (SIGTERM, then SIGKILL after 15 s).

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 20 * time.Second
	stopTimeout  = 15 * time.Second
	logTailLines = 60
)

// broker is the running weir process shared by every test in the package.
var broker struct {
	addr    string // 127.0.0.1:port
	port    int32
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has been reaped
}

func TestMain(m *testing.M) { os.Exit(runWithBroker(m)) }

func runWithBroker(m *testing.M) int {
	bin, err := weirBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat-go:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "weir-compat-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat-go: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	if err := startBroker(bin, dir); err != nil {
		fmt.Fprintln(os.Stderr, "compat-go: starting weir:", err)
		stopBroker()
		printLogTail()
		return 1
	}
	code := m.Run()
	stopErr := stopBroker()
	if stopErr != nil {
		fmt.Fprintln(os.Stderr, "compat-go: stopping weir:", stopErr)
	}
	if code != 0 || stopErr != nil {
		printLogTail()
		if code == 0 {
			code = 1
		}
	}
	return code
}

// weirBinary is $WEIR_BIN, or the release build of the repository this directory sits in
// (../../target/release/weir).
func weirBinary() (string, error) {
	path := os.Getenv("WEIR_BIN")
	from := "WEIR_BIN"
	if path == "" {
		path = filepath.Join("..", "..", "target", "release", "weir")
		from = "the default (<repo>/target/release/weir)"
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("no weir binary at %s (from %s): build it with `cargo build --release` "+
			"in the repository root, or point WEIR_BIN at one", abs, from)
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s (from %s) is not an executable file", abs, from)
	}
	return abs, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startBroker(bin, dir string) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("free port: %w", err)
	}
	broker.port = int32(port)
	broker.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	broker.logPath = filepath.Join(dir, "weir.log")
	logFile, err := os.Create(broker.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor

	cmd := exec.Command(bin, "broker",
		"--override", "node.id=1",
		"--override", "listeners=PLAINTEXT://"+broker.addr,
		"--override", "log.dirs="+filepath.Join(dir, "data"),
		// At least two runtime workers, whatever the machine: requests run in parallel.
		"--override", "num.io.threads=2",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = brokerSysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", bin, err)
	}
	broker.cmd = cmd
	broker.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(broker.exited)
	}()

	deadline := time.Now().Add(startTimeout)
	for {
		conn, err := net.DialTimeout("tcp", broker.addr, 500*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-broker.exited:
			return fmt.Errorf("weir exited before accepting connections (%s)", cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %s", broker.addr, startTimeout)
		}
	}
}

// stopBroker sends SIGTERM, and SIGKILL if the broker is still running after stopTimeout.
// It reports a broker that had already died or needed SIGKILL.
func stopBroker() error {
	if broker.cmd == nil {
		return nil
	}
	select {
	case <-broker.exited:
		return fmt.Errorf("weir had already exited (%s)", broker.cmd.ProcessState)
	default:
	}
	_ = broker.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-broker.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = broker.cmd.Process.Kill()
	<-broker.exited
	return errors.New("weir ignored SIGTERM for " + stopTimeout.String() + "; killed")
}

func printLogTail() {
	if broker.logPath == "" {
		return
	}
	f, err := os.Open(broker.logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat-go: broker log:", err)
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > logTailLines {
			lines = lines[1:]
		}
	}
	fmt.Fprintf(os.Stderr, "---- last %d lines of %s ----\n%s\n---- end of broker log ----\n",
		len(lines), broker.logPath, strings.Join(lines, "\n"))
}
