// The `vigil` subcommands. Each takes the arguments after its name (argv[0] is the
// subcommand name) and returns the process exit code. Defined in <name>_command.cc.
#pragma once

namespace vigil::cmd {

int RunVersion(int argc, char** argv);
int RunServer(int argc, char** argv);
int RunDemo(int argc, char** argv);
int RunFleet(int argc, char** argv);
int RunTool(int argc, char** argv);

// `vigil tool` subcommands (rows of kToolCommands in tool_command.cc).
int RunToolCheckConfig(int argc, char** argv);
int RunToolPromqlTest(int argc, char** argv);
int RunToolTsdbAnalyze(int argc, char** argv);  // tool_tsdb.cc
int RunToolTsdbDump(int argc, char** argv);
int RunToolTsdbList(int argc, char** argv);
int RunToolTsdbVerify(int argc, char** argv);

}  // namespace vigil::cmd
