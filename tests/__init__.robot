*** Settings ***
Documentation       Acceptance suites of the imapsync module, run against a real NS8 leader node
...                 over SSH as root (see test-module.sh). Every suite shares this connection.
...                 Variables given with -v: NODE_ADDR, IMAGE_URL (the imapsync image under test),
...                 SSH_KEYFILE; optional: MAIL_IMAGE_URL, SYNC_TIMEOUT, BULK_MESSAGES.
Library             SSHLibrary
Suite Setup         Run Keywords
...                     Connect to the node
...                     AND    Wait until the node has booted
...                     AND    Remember when the run began
Suite Teardown      Run Keywords
...                     Run Keyword And Ignore Error    Save the node journal of the run
...                     AND    Close All Connections


*** Keywords ***
Connect to the node
    Open Connection    ${NODE_ADDR}
    Login With Public Key    root    ${SSH_KEYFILE}

Wait until the node has booted
    [Documentation]    ``degraded`` still lets modules run; anything else means a broken node.
    ${state} =    Execute Command    systemctl is-system-running --wait
    Should Be True    $state in ('running', 'degraded')
    ...    msg=the node did not boot cleanly: systemctl is-system-running says "${state}"

Remember when the run began
    [Documentation]    The node's own clock, the one journalctl compares with.
    ${now} =    Execute Command    date +%s
    Set Global Variable    ${RUN_STARTED_AT}    ${now}

Save the node journal of the run
    [Documentation]    The module's logs (container output included) end up in the journal;
    ...                keep them next to the Robot report for post-mortems. A failure here
    ...                must not fail the tests, hence the caller ignores it.
    Execute Command    journalctl --no-pager -S @${RUN_STARTED_AT} > /tmp/imapsync-tests-journal.log
    Get File    /tmp/imapsync-tests-journal.log    ${OUTPUT DIR}/journal.log
