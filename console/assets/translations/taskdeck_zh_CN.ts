<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ActionDialog</name>
    <message>
        <location filename="../../views/dialogs/action_dialog.py" line="+33"/>
        <source>will be sent again as a new task</source>
        <translation>将作为新任务重新发送</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>will be taken out of their queue</source>
        <translation>将从其队列中移除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>will be revoked (a worker holds them)</source>
        <translation>将被撤销（有 worker 持有）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>will be stopped</source>
        <translation>将被终止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>will move to the new priority</source>
        <translation>将移至新优先级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>have already finished (nothing to do)</source>
        <translation>已完成（无需处理）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>are not waiting in a queue (nothing to do)</source>
        <translation>未在队列中等待（无需处理）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>are not in the ledger</source>
        <translation>不在任务台账中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cannot be retried (not finished)</source>
        <translation>无法重试（尚未完成）</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>{n} more tasks of the group were retried already and are left out (their retries, if they failed again, are in the count above).</source>
        <translation>该组中另有 {n} 个任务已重试过，已排除在外（其重试任务若再次失败，已计入上面的数量）。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>… and {n} more</source>
        <translation>……另有 {n} 个</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sample of the tasks it touches:</source>
        <translation>受影响任务示例：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Why (recorded in the audit log)</source>
        <translation>原因（记入审计日志）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>With a new priority</source>
        <translation>使用新优先级</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>1 lowest … 10 highest</source>
        <translation>1 最低 … 10 最高</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>New priority (1 lowest … 10 highest):</source>
        <translation>新优先级（1 最低 … 10 最高）：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Type “{name}” to confirm:</source>
        <translation>输入“{name}”以确认：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The dry run found no task to act on.</source>
        <translation>预演未找到可操作的任务。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dry run: {n} tasks.</source>
        <translation>预演：{n} 个任务。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Nothing would be done: the dry run found no task to act on.</source>
        <translation>不会执行任何操作：预演未找到可操作的任务。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Give a reason.</source>
        <translation>请填写原因。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Type the environment&apos;s name, “{name}”, to confirm.</source>
        <translation>输入环境名称“{name}”以确认。</translation>
    </message>
</context>
<context>
    <name>AlertsController</name>
    <message>
        <location filename="../../controllers/alerts_controller.py" line="+120"/>
        <source>Alertmanager is not reachable ({error}).</source>
        <translation>无法连接 Alertmanager（{error}）。</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>Silence {id} created by {user}, in force until {end}; audit entry {audit}.</source>
        <translation>静默 {id} 已由 {user} 创建，有效期至 {end}；审计条目 {audit}。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Silence {id} extended until {end}; audit entry {audit}.</source>
        <translation>静默 {id} 已延长至 {end}；审计条目 {audit}。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Silence extended until {end}: {id} now in force (replacing {previous}); audit entry {audit}.</source>
        <translation>静默已延长至 {end}：{id} 现已生效（替换 {previous}）；审计条目 {audit}。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Silence {id} expired; audit entry {audit}.</source>
        <translation>静默 {id} 已过期；审计条目 {audit}。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The backend has no Alertmanager configured, so it cannot change silences ({detail}); nothing was changed.</source>
        <translation>后端未配置 Alertmanager，无法更改静默（{detail}）；未做任何更改。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Alertmanager</source>
        <translation>Alertmanager</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{who} got the change but did not answer in time, so it may have been made: the silences list is read again; look there before trying again ({detail}).</source>
        <translation>{who}已收到更改但未及时应答，更改可能已生效：正在重新读取静默列表；请先查看列表再重试（{detail}）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Alertmanager is not reachable from the backend; nothing was changed. Try again once it is back ({detail}).</source>
        <translation>后端无法连接 Alertmanager；未做任何更改。请在其恢复后重试（{detail}）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Only an admin can create, extend or expire silences; the backend refused this profile&apos;s token ({detail}). Nothing was changed.</source>
        <translation>只有管理员可以创建、延长或使静默过期；后端拒绝了此配置文件的令牌（{detail}）。未做任何更改。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The backend refused it: {detail}. Nothing was changed.</source>
        <translation>后端拒绝了该操作：{detail}。未做任何更改。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The backend is not reachable ({detail}); nothing was changed.</source>
        <translation>无法连接后端（{detail}）；未做任何更改。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The backend refused (HTTP {status}): {problem}. Nothing was changed.</source>
        <translation>后端拒绝（HTTP {status}）：{problem}。未做任何更改。</translation>
    </message>
</context>
<context>
    <name>AlertsPage</name>
    <message>
        <location filename="../../views/alerts_page.py" line="+89"/>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+146"/>
        <source>Not read yet.</source>
        <translation>尚未读取。</translation>
    </message>
    <message>
        <location line="-145"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Alert</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Severity</source>
        <translation>严重级别</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+58"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="-57"/>
        <source>Age</source>
        <translation>持续时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No alerts.</source>
        <translation>无告警。</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+121"/>
        <location line="+263"/>
        <source>Select an alert to see it in full.</source>
        <translation>选择一条告警以查看详情。</translation>
    </message>
    <message>
        <location line="-379"/>
        <source>Silence…</source>
        <translation>静默…</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+438"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location line="-415"/>
        <source>Silences</source>
        <translation>静默</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show expired</source>
        <translation>显示已过期</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Extend…</source>
        <translation>延长…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expire…</source>
        <translation>使过期…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Matchers</source>
        <translation>匹配器</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Created by</source>
        <translation>创建者</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Starts</source>
        <translation>开始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ends</source>
        <translation>结束</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <location line="+109"/>
        <source>(all alerts)</source>
        <translation>（全部告警）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Grouped by Alertmanager: {labels}; sent to {receiver}</source>
        <translation>由 Alertmanager 分组：{labels}；发送至 {receiver}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>receiver {receiver} · 1 alert</source>
        <translation>接收器 {receiver} · 1 条告警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>receiver {receiver} · {n} alerts</source>
        <translation>接收器 {receiver} · {n} 条告警</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>active</source>
        <translation>活动</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>silenced</source>
        <translation>已静默</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>inhibited</source>
        <translation>已抑制</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Silences: {n} in force or pending, {expired} expired</source>
        <translation>静默：{n} 条生效或待生效，{expired} 条已过期</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>in force</source>
        <translation>生效中</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>pending</source>
        <translation>待生效</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Read from Alertmanager at {time}.</source>
        <translation>读取自 Alertmanager，时间 {time}。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{problem} What is shown was read at {time}, {age} ago; trying again in {retry}.</source>
        <translation>{problem} 当前显示的是 {time} 读取的数据（{age}前）；将在 {retry}后重试。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{problem} Nothing read yet; trying again in {retry}.</source>
        <translation>{problem} 尚未读取到数据；将在 {retry}后重试。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Critical: {name}</source>
        <translation>严重：{name}</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>State: {state}</source>
        <translation>状态：{state}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Severity: {severity}</source>
        <translation>严重级别：{severity}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Firing since {when} ({age})</source>
        <translation>触发于 {when}（{age}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Silenced by {ids}</source>
        <translation>被 {ids} 静默</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Inhibited by {ids}</source>
        <translation>被 {ids} 抑制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Labels:</source>
        <translation>标签：</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Open queue {value}</source>
        <translation>打开队列 {value}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open worker {value}</source>
        <translation>打开 worker {value}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open failures of {value}</source>
        <translation>打开 {value} 的失败任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open {value}&apos;s quota</source>
        <translation>打开 {value} 的配额</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open anomaly {value}</source>
        <translation>打开异常 {value}</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Silencing alerts needs the admin role (this profile&apos;s role: {role}).</source>
        <translation>静默告警需要管理员角色（此配置文件的角色：{role}）。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Select an alert.</source>
        <translation>请选择一条告警。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Select a silence in force or pending.</source>
        <translation>请选择一条生效中或待生效的静默。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>This alert concerns no one page of the console.</source>
        <translation>此告警不对应控制台的某个页面。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Silence alerts like {name}: every alert matching all the matchers below is silenced until the end chosen. The matchers are the alert&apos;s labels; change them to silence more or fewer.</source>
        <translation>静默与 {name} 类似的告警：匹配下方全部匹配器的告警都将被静默，直至所选结束时间。匹配器取自该告警的标签；修改它们可扩大或缩小静默范围。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Silence {id} ({matchers}), by {creator}: “{comment}”; ends {end}.</source>
        <translation>静默 {id}（{matchers}），创建者 {creator}：“{comment}”；结束于 {end}。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Extend a silence</source>
        <translation>延长静默</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Expire a silence</source>
        <translation>使静默过期</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expiring it ends it now: its alerts notify again.</source>
        <translation>使其过期将立即结束静默：相关告警会重新发送通知。</translation>
    </message>
</context>
<context>
    <name>AnomaliesTableModel</name>
    <message>
        <location filename="../../views/ratelimits_page.py" line="+52"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Subject</source>
        <translation>对象</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>First seen</source>
        <translation>首次出现</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Last seen</source>
        <translation>最近出现</translation>
    </message>
</context>
<context>
    <name>AuditController</name>
    <message>
        <location filename="../../controllers/audit_controller.py" line="+112"/>
        <source>The backend is turning requests away for now (too many); try again in a moment.</source>
        <translation>后端当前正在拒绝请求（请求过多）；请稍后重试。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The backend is turning requests away for now (too many); try again in {n} s.</source>
        <translation>后端当前正在拒绝请求（请求过多）；请在 {n} 秒后重试。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The audit log could not be read: {detail}</source>
        <translation>无法读取审计日志：{detail}</translation>
    </message>
</context>
<context>
    <name>AuditPage</name>
    <message>
        <location filename="../../views/audit_page.py" line="+61"/>
        <source>Audit</source>
        <translation>审计</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Who (user name)</source>
        <translation>操作人（用户名）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Any action</source>
        <translation>任意操作</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>All time</source>
        <translation>全部时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 1 h</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 24 h</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 7 d</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 30 d</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Task id (full)</source>
        <translation>任务 ID（完整）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Who</source>
        <translation>操作人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>Select an entry to see its request, targets and outcome.</source>
        <translation>选择一条记录以查看其请求、目标和结果。</translation>
    </message>
    <message>
        <location line="+122"/>
        <source>No audit entry matches these filters</source>
        <translation>没有符合这些筛选条件的审计条目</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The audit log is empty</source>
        <translation>审计日志为空</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>Open task {id}</source>
        <translation>打开任务 {id}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Open new task {id}</source>
        <translation>打开新任务 {id}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open bulk job {id}</source>
        <translation>打开批量作业 {id}</translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <location filename="../../models/audit_table_model.py" line="+35"/>
        <source>ok</source>
        <translation>成功</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>partial</source>
        <translation>部分完成</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pending</source>
        <translation>待生效</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority change</source>
        <translation>更改优先级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bulk cancel</source>
        <translation>批量取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bulk retry</source>
        <translation>批量重试</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bulk priority change</source>
        <translation>批量更改优先级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quota limit</source>
        <translation>配额上限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quota reconciled</source>
        <translation>配额已校正</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default quota limit</source>
        <translation>默认配额上限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Worker control</source>
        <translation>Worker 控制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Silence created</source>
        <translation>已创建静默</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Silence extended</source>
        <translation>已延长静默</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Silence expired</source>
        <translation>已使静默过期</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Grow pool</source>
        <translation>扩大进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shrink pool</source>
        <translation>缩小进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Autoscale</source>
        <translation>自动伸缩</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rate limit</source>
        <translation>速率限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Time limit</source>
        <translation>时间限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Consume from queue</source>
        <translation>消费队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop consuming from queue</source>
        <translation>停止消费队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shut down</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>user {targets}</source>
        <translation>用户 {targets}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the default quota limit</source>
        <translation>默认配额上限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>worker {targets}</source>
        <translation>worker {targets}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>silence of {targets}</source>
        <translation>{targets} 的静默</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>silence {targets}</source>
        <translation>静默 {targets}</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>all tasks</source>
        <translation>全部任务</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>{command} on {targets}</source>
        <translation>{command}：{targets}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>1 task</source>
        <translation>1 个任务</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} tasks</source>
        <translation>{n} 个任务</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{tasks} matching {filter}</source>
        <translation>匹配 {filter} 的{tasks}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>and {n} more</source>
        <translation>另有 {n} 个</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>{n} did it</source>
        <translation>{n} 个已执行</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{n} refused</source>
        <translation>{n} 个拒绝</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{n} did not reply</source>
        <translation>{n} 个未应答</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>silence {id} expired</source>
        <translation>静默 {id} 已过期</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>silence {id} until {end}</source>
        <translation>静默 {id} 至 {end}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>(replacing {id})</source>
        <translation>（替换 {id}）</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>in progress</source>
        <translation>进行中</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>no answer, may have been done ({error})</source>
        <translation>无应答，可能已执行（{error}）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{done} of {total} done</source>
        <translation>已完成 {done}/{total}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{n} failed</source>
        <translation>{n} 个失败</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>as {id}</source>
        <translation>新 ID {id}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>limit {limit} (was {previous})</source>
        <translation>上限 {limit}（原为 {previous}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>released {released}, added {added}; {used} in use</source>
        <translation>释放 {released}，新增 {added}；使用中 {used}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Who</source>
        <translation>操作人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Targets</source>
        <translation>目标</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Job</source>
        <translation>作业</translation>
    </message>
</context>
<context>
    <name>ConnectionCheck</name>
    <message>
        <location filename="../../services/probes.py" line="+50"/>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>timed out after {seconds:g} s</source>
        <translation>{seconds:g} 秒后超时</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>connection refused</source>
        <translation>连接被拒绝</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>no Sentinel names a master now; a failover may be under way ({error})</source>
        <translation>目前没有 Sentinel 指明主节点；可能正在进行故障转移（{error}）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>host name not found</source>
        <translation>找不到主机名</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>TLS certificate not trusted: {reason}</source>
        <translation>TLS 证书不受信任：{reason}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>TLS error: {reason}</source>
        <translation>TLS 错误：{reason}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the server closed the connection</source>
        <translation>服务器关闭了连接</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the server there does not speak this protocol ({error})</source>
        <translation>该地址的服务器不使用此协议（{error}）</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+118"/>
        <source>{error}</source>
        <translation>{error}</translation>
    </message>
    <message>
        <location line="-36"/>
        <source>password refused</source>
        <translation>密码被拒绝</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>a password is needed and none is stored</source>
        <translation>需要密码，但未保存密码</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Redis {version}</source>
        <translation>Redis {version}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>HTTP {status}</source>
        <translation>HTTP {status}</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>/health did not answer JSON: this is not a TaskDeck backend</source>
        <translation>/health 未返回 JSON：这不是 TaskDeck 后端</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>health {status}</source>
        <translation>健康状态 {status}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>health {status}; no token stored</source>
        <translation>健康状态 {status}；未保存令牌</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>health {status}; token refused (401)</source>
        <translation>健康状态 {status}；令牌被拒绝（401）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>health {status}; signed in as {user} ({role})</source>
        <translation>健康状态 {status}；已登录为 {user}（{role}）</translation>
    </message>
</context>
<context>
    <name>ConnectionTest</name>
    <message>
        <location filename="../../views/dialogs/connection_test.py" line="+37"/>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Testing “{name}”…</source>
        <translation>正在测试“{name}”…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The test could not run: {error}</source>
        <translation>无法运行测试：{error}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>✔ {service}: {detail} ({latency} ms)</source>
        <translation>✔ {service}：{detail}（{latency} ms）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>✔ {service}: {detail}</source>
        <translation>✔ {service}：{detail}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>✖ {service}: {detail}</source>
        <translation>✖ {service}：{detail}</translation>
    </message>
</context>
<context>
    <name>ConnectionsPage</name>
    <message>
        <location filename="../../views/connections_page.py" line="+27"/>
        <location line="+7"/>
        <source>set in the profile</source>
        <translation>在配置文件中设置</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>detected from the queue bindings</source>
        <translation>从队列绑定中检测</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>kombu&apos;s default, assumed: the broker holds no queue binding yet</source>
        <translation>假定为 kombu 默认值：broker 中尚无队列绑定</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>kombu&apos;s default, assumed: every list holding messages is one of its steps</source>
        <translation>假定为 kombu 默认值：每个有消息的列表都是其级别之一</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>unknown: lists of steps {seen} hold messages, outside kombu&apos;s default; set the steps in the profile</source>
        <translation>未知：级别 {seen} 的列表中有消息，不属于 kombu 默认值；请在配置文件中设置级别</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>set in TASKDECK_PRIORITY_STEPS</source>
        <translation>在 TASKDECK_PRIORITY_STEPS 中设置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>kombu&apos;s default, assumed</source>
        <translation>假定为 kombu 默认值</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Durable cancel</source>
        <translation>持久取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Retry with whole arguments</source>
        <translation>以完整参数重试</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Lifecycle stream</source>
        <translation>生命周期流</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Change priority (move)</source>
        <translation>更改优先级（移动）</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Connections</source>
        <translation>连接</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Connection state of the broker, the backend, Prometheus and Alertmanager.</source>
        <translation>broker、后端、Prometheus 和 Alertmanager 的连接状态。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The watched system, as read from its broker</source>
        <translation>被监控的系统（从其 broker 读取）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>counted from each queue&apos;s lists of all ten priorities 0–9, whatever the steps: a message waiting in any of them is in the depth</source>
        <translation>按每个队列全部十个优先级 0–9 的列表计数，与级别无关：在其中任何一个列表中等待的消息都计入深度</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Separator</source>
        <translation>分隔符</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority steps</source>
        <translation>优先级级别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Depths</source>
        <translation>深度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>What TaskDeck can do here, as the backend says</source>
        <translation>TaskDeck 在此可执行的操作（以后端所报为准）</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>{sep}  ({source})</source>
        <translation>{sep}  （{source}）</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>set in the backend&apos;s TASKDECK_PRIORITY_STEPS; the profile sets none</source>
        <translation>在后端的 TASKDECK_PRIORITY_STEPS 中设置；配置文件未设置</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{steps}  ({source})</source>
        <translation>{steps}  （{source}）</translation>
    </message>
    <message>
        <location line="-31"/>
        <source>none bound yet</source>
        <translation>尚无绑定</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{n} binding entries cannot be read with this separator; the system&apos;s own kombu clients fail on them. First: {first}</source>
        <translation>有 {n} 个绑定条目无法用此分隔符读取；该系统自身的 kombu 客户端也会在这些条目上出错。第一个：{first}</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>The backend goes by steps {steps} ({source}) and moves messages into their lists: set the same steps in the profile and in the backend&apos;s TASKDECK_PRIORITY_STEPS.</source>
        <translation>后端按级别 {steps}（{source}）工作，并把消息移入这些级别的列表：请在配置文件和后端的 TASKDECK_PRIORITY_STEPS 中设置相同的级别。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>not reported by this backend</source>
        <translation>此后端未报告</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>available</source>
        <translation>可用</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>unavailable</source>
        <translation>不可用</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The backend did not say what it supports: {error}</source>
        <translation>后端未说明其支持的功能：{error}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>not read yet</source>
        <translation>尚未读取</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not asked yet.</source>
        <translation>尚未询问。</translation>
    </message>
</context>
<context>
    <name>Console</name>
    <message>
        <location filename="../../__main__.py" line="+171"/>
        <source>The URLs on the command line cannot be used, so TaskDeck is not connected:
{problems}
Start TaskDeck again with corrected URLs.</source>
        <translation>命令行中的 URL 无法使用，TaskDeck 未连接：
{problems}
请使用正确的 URL 重新启动 TaskDeck。</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Something went wrong: {error}</source>
        <translation>出现错误：{error}</translation>
    </message>
    <message>
        <location line="+90"/>
        <source>…and {count} more problems with the profiles file; the log lists them all: {path}</source>
        <translation>……配置文件中另有 {count} 个问题；日志中列出了全部问题：{path}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Or add a profile: Connection &gt; Profiles…</source>
        <translation>或添加一个配置文件：连接 &gt; 配置文件…</translation>
    </message>
    <message>
        <location filename="../../app.py" line="+95"/>
        <source>Prometheus: {error}</source>
        <translation>Prometheus：{error}</translation>
    </message>
    <message>
        <location line="+92"/>
        <source>Overview</source>
        <translation>概览</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Workers</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Quotas</source>
        <translation>配额</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rate limits</source>
        <translation>速率限制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audit</source>
        <translation>审计</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reports</source>
        <translation>报告</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Connections</source>
        <translation>连接</translation>
    </message>
    <message>
        <location line="+277"/>
        <source>Open snapshot</source>
        <translation>打开快照</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TaskDeck snapshots (*{suffix});;All files (*)</source>
        <translation>TaskDeck 快照 (*{suffix});;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Opening {file}…</source>
        <translation>正在打开 {file}…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Cannot open the snapshot</source>
        <translation>无法打开快照</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Showing the snapshot {file}: read-only, as it was at {moment}.</source>
        <translation>正在显示快照 {file}：只读，为 {moment} 时的状态。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Connect to an environment first.</source>
        <translation>请先连接到一个环境。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>This is a snapshot already; its file is a copy of it.</source>
        <translation>当前已是快照；其文件就是它的副本。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>A snapshot is being saved; wait for it to finish.</source>
        <translation>正在保存快照，请等待其完成。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Save snapshot</source>
        <translation>保存快照</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TaskDeck snapshots (*{suffix})</source>
        <translation>TaskDeck 快照 (*{suffix})</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Saving the snapshot: {what} ({percent} %)</source>
        <translation>正在保存快照：{what}（{percent} %）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The environment was closed while its snapshot was taken; nothing was saved.</source>
        <translation>获取快照期间该环境已关闭，未保存任何内容。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The snapshot was not saved: {why}</source>
        <translation>快照未保存：{why}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Snapshot saved to {path}: {tasks} tasks, {audit} audit entries.</source>
        <translation>快照已保存到 {path}：{tasks} 个任务，{audit} 条审计条目。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Not saved: {missing}</source>
        <translation>未保存：{missing}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Profiles are not available in this session.</source>
        <translation>本次会话中配置文件不可用。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>no answer</source>
        <translation>无应答</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>{user} has no quota row yet.</source>
        <translation>{user} 尚无配额记录。</translation>
    </message>
    <message>
        <location line="+92"/>
        <source>Prometheus unreachable; showing data from {time}</source>
        <translation>无法连接 Prometheus；显示的是 {time} 的数据</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Prometheus unreachable: {error}</source>
        <translation>无法连接 Prometheus：{error}</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>This page has no table to export.</source>
        <translation>此页面没有可导出的表格。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Export table</source>
        <translation>导出表格</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Exported {rows} rows to {path}</source>
        <translation>已导出 {rows} 行到 {path}</translation>
    </message>
</context>
<context>
    <name>DialogAsker</name>
    <message>
        <location filename="../../views/dialogs/asker.py" line="+75"/>
        <source>Reason (recorded in the audit log):</source>
        <translation>原因（记入审计日志）：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>A reason is required.</source>
        <translation>必须填写原因。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>New priority (1 lowest … 10 highest):</source>
        <translation>新优先级（1 最低 … 10 最高）：</translation>
    </message>
</context>
<context>
    <name>EndPicker</name>
    <message>
        <location filename="../../views/dialogs/silence_dialog.py" line="+61"/>
        <source>1 hour later</source>
        <translation>延后 1 小时</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>4 hours later</source>
        <translation>延后 4 小时</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>1 day later</source>
        <translation>延后 1 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>in 1 hour</source>
        <translation>1 小时后</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>in 4 hours</source>
        <translation>4 小时后</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>in 1 day</source>
        <translation>1 天后</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Custom end…</source>
        <translation>自定义结束时间…</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>ends {when}</source>
        <translation>结束于 {when}</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>The end is in the past: choose a later one.</source>
        <translation>结束时间已过：请选择更晚的时间。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The end is more than {days} days away: choose an earlier one.</source>
        <translation>结束时间超过 {days} 天：请选择更早的时间。</translation>
    </message>
</context>
<context>
    <name>Endpoints</name>
    <message>
        <location filename="../../domain/endpoints.py" line="+63"/>
        <source>no sandbox is running in {run_dir}; start one with &apos;taskdeck-sandbox up&apos;</source>
        <translation>{run_dir} 中没有运行的沙箱；请使用 &apos;taskdeck-sandbox up&apos; 启动</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{path} cannot be read ({error}); restart the sandbox</source>
        <translation>无法读取 {path}（{error}）；请重启沙箱</translation>
    </message>
</context>
<context>
    <name>FailureInbox</name>
    <message>
        <location filename="../../views/failure_inbox.py" line="+158"/>
        <source>users: {users}</source>
        <translation>用户：{users}</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message>
        <location filename="../../models/format.py" line="+25"/>
        <location filename="../../reports/formatting.py" line="+78"/>
        <source>{seconds} s</source>
        <translation>{seconds}秒</translation>
    </message>
    <message>
        <location line="+4"/>
        <location filename="../../reports/formatting.py" line="+3"/>
        <source>{minutes} min {seconds} s</source>
        <translation>{minutes}分{seconds}秒</translation>
    </message>
    <message>
        <location line="+4"/>
        <location filename="../../reports/formatting.py" line="+4"/>
        <source>{hours} h {minutes} min</source>
        <translation>{hours}小时{minutes}分</translation>
    </message>
    <message>
        <location line="+3"/>
        <location filename="../../reports/formatting.py" line="+3"/>
        <source>{days} d {hours} h</source>
        <translation>{days}天{hours}小时</translation>
    </message>
    <message>
        <location filename="../../reports/formatting.py" line="-15"/>
        <source>{milliseconds} ms</source>
        <translation>{milliseconds} 毫秒</translation>
    </message>
</context>
<context>
    <name>GoToPalette</name>
    <message>
        <location filename="../../views/goto_palette.py" line="+66"/>
        <source>Go to</source>
        <translation>转到</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Go to a page, queue, worker, failure group or task id…</source>
        <translation>转到页面、队列、worker、失败组或任务 ID…</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Page</source>
        <translation>页面</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failure group</source>
        <translation>失败组</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+77"/>
        <location line="+6"/>
        <source>Task {id}</source>
        <translation>任务 {id}</translation>
    </message>
</context>
<context>
    <name>GroupDelegate</name>
    <message>
        <location filename="../../views/failure_inbox.py" line="-70"/>
        <source>{task} · {users} users</source>
        <translation>{task} · {users} 个用户</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>first {first} · last {last}</source>
        <translation>首次 {first} · 最近 {last}</translation>
    </message>
</context>
<context>
    <name>JobsPanel</name>
    <message>
        <location filename="../../views/jobs_panel.py" line="+109"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="-83"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+73"/>
        <source>No bulk job yet.</source>
        <translation>暂无批量作业。</translation>
    </message>
    <message>
        <location line="-60"/>
        <source>Bulk jobs</source>
        <translation>批量作业</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>{time} {action}: {done}/{total} {state}</source>
        <translation>{time} {action}：{done}/{total} {state}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>(waiting for the backend)</source>
        <translation>（等待后端）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>queued</source>
        <translation>已排队</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Job {job} by {user}{reason}</source>
        <translation>作业 {job}，操作人 {user}{reason}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The backend does not answer ({problem}); the panel keeps asking and resumes when it returns.</source>
        <translation>后端无应答（{problem}）；面板将持续询问，并在后端恢复后继续。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Reasons: {reasons}</source>
        <translation>原因：{reasons}</translation>
    </message>
</context>
<context>
    <name>LiveController</name>
    <message>
        <location filename="../../controllers/live_controller.py" line="+166"/>
        <source>Broker unreachable; retrying…</source>
        <translation>无法连接 Broker；正在重试…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reading the broker failed; retrying…</source>
        <translation>读取 Broker 失败；正在重试…</translation>
    </message>
    <message>
        <location line="+101"/>
        <source>Live events wait for the system&apos;s first queue binding…</source>
        <translation>实时事件正在等待系统的第一个队列绑定…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Live events interrupted; reconnecting…</source>
        <translation>实时事件已中断；正在重新连接…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../views/main_window.py" line="+79"/>
        <source>&amp;Connection</source>
        <translation>连接(&amp;C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Profiles…</source>
        <translation>配置文件(&amp;P)…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Export table…</source>
        <translation>导出表格(&amp;E)…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Save snapshot…</source>
        <translation>保存快照(&amp;S)…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Open snapshot…</source>
        <translation>打开快照(&amp;O)…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Follow the system ({language})</source>
        <translation>跟随系统（{language}）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The language changes when TaskDeck is restarted: close it and open it again.</source>
        <translation>语言将在 TaskDeck 重启后更改：请关闭后重新打开。</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Not available in this version yet</source>
        <translation>此版本尚不可用</translation>
    </message>
    <message>
        <location line="+37"/>
        <source> — PRODUCTION</source>
        <translation> — 生产环境</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TaskDeck — {name}{marker}</source>
        <translation>TaskDeck — {name}{marker}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>TaskDeck — {name} — SNAPSHOT of {moment} (read-only)</source>
        <translation>TaskDeck — {name} — {moment} 的快照（只读）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>SNAPSHOT of {name}, taken {moment} — read-only, nothing here is live; actions are disabled</source>
        <translation>{name} 的快照，拍摄于 {moment} — 只读，此处数据均非实时；操作已禁用</translation>
    </message>
</context>
<context>
    <name>MessagesTableModel</name>
    <message>
        <location filename="../../models/messages_table_model.py" line="+29"/>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Task id</source>
        <translation>任务 ID</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Waiting</source>
        <translation>等待时长</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Arguments</source>
        <translation>参数</translation>
    </message>
</context>
<context>
    <name>Outcome</name>
    <message>
        <location filename="../../models/outcomes.py" line="+11"/>
        <source>retried</source>
        <translation>已重试</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>removed from queue</source>
        <translation>已从队列移除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>revoked</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>revoke sent to the workers</source>
        <translation>已向 worker 发送撤销</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>terminated</source>
        <translation>已终止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>moved</source>
        <translation>已移动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>already finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not queued</source>
        <translation>未排队</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not retryable</source>
        <translation>不可重试</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not done yet</source>
        <translation>尚未完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
</context>
<context>
    <name>OverviewPage</name>
    <message>
        <location filename="../../views/overview_page.py" line="+72"/>
        <source>Overview</source>
        <translation>概览</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed (5 min)</source>
        <translation>失败数（5 分钟）</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+47"/>
        <source>Failure rate (5 min)</source>
        <translation>失败率（5 分钟）</translation>
    </message>
    <message>
        <location line="-46"/>
        <source>Workers up</source>
        <translation>在线 worker</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Firing alerts</source>
        <translation>触发中的告警</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Open the Alerts page</source>
        <translation>打开告警页面</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+99"/>
        <source>broker</source>
        <translation>broker</translation>
    </message>
    <message>
        <location line="-98"/>
        <location line="+100"/>
        <source>worker heartbeats</source>
        <translation>worker 心跳</translation>
    </message>
    <message>
        <location line="-99"/>
        <location line="+1"/>
        <location line="+102"/>
        <location line="+9"/>
        <source>ledger</source>
        <translation>任务台账</translation>
    </message>
    <message>
        <location line="-110"/>
        <location line="+127"/>
        <source>backend, heartbeats</source>
        <translation>后端、心跳</translation>
    </message>
    <message>
        <location line="-126"/>
        <location line="+69"/>
        <location line="+66"/>
        <source>Alertmanager</source>
        <translation>Alertmanager</translation>
    </message>
    <message>
        <location line="-124"/>
        <source>Window:</source>
        <translation>时间窗口：</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Queue depth</source>
        <translation>队列深度</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Tasks per second by state</source>
        <translation>各状态每秒任务数</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>p95 runtime (5 min)</source>
        <translation>p95 运行时长（5 分钟）</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Workers</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Open the {page} page</source>
        <translation>打开{page}页面</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>unreachable ({reason}); figure from {time}</source>
        <translation>无法连接（{reason}）；数值来自 {time}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>unreachable ({reason})</source>
        <translation>无法连接（{reason}）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>{n} finished</source>
        <translation>{n} 个已结束</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>down: {names}</source>
        <translation>离线：{names}</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Data only since {time}: showing that part of the window</source>
        <translation>仅有 {time} 之后的数据：显示窗口中的这一部分</translation>
    </message>
</context>
<context>
    <name>ProfileDialog</name>
    <message>
        <location filename="../../views/dialogs/profile_dialog.py" line="+74"/>
        <source>Connection profiles</source>
        <translation>连接配置文件</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duplicate</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>No system keyring is available: passwords and tokens are kept for this session only.</source>
        <translation>系统密钥环不可用：密码和令牌仅在本次会话中保留。</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Save and use selected</source>
        <translation>保存并使用所选项</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>(no name)</source>
        <translation>（无名称）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} — production</source>
        <translation>{name} — 生产环境</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>In use now</source>
        <translation>当前使用中</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>New profile</source>
        <translation>新配置文件</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{name} copy</source>
        <translation>{name} 副本</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>The system keyring could not be read: {error}</source>
        <translation>无法读取系统密钥环：{error}</translation>
    </message>
    <message>
        <location line="+72"/>
        <source>Profile “{name}”: {problem}</source>
        <translation>配置文件“{name}”：{problem}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>More than one profile is named “{name}”.</source>
        <translation>有多个配置文件名为“{name}”。</translation>
    </message>
    <message>
        <location line="+56"/>
        <source>The profiles were not saved: {error}</source>
        <translation>配置文件未保存：{error}</translation>
    </message>
</context>
<context>
    <name>ProfileForm</name>
    <message>
        <location filename="../../views/dialogs/profile_form.py" line="+75"/>
        <source>usual authorities; or a PEM file</source>
        <translation>常用的证书颁发机构；或一个 PEM 文件</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The certificates (a PEM file) that sign the backend&apos;s HTTPS certificate, when it is not signed by an authority this computer trusts: a proxy&apos;s own CA or a self-signed certificate</source>
        <translation>签发后端 HTTPS 证书的证书（一个 PEM 文件），用于该证书并非由本机信任的机构签发的情况：代理自己的 CA 或自签名证书</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Production: show a warning colour</source>
        <translation>生产环境：显示警示颜色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Desktop notifications of critical alerts</source>
        <translation>严重告警的桌面通知</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Broker URL</source>
        <translation>Broker URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Broker password</source>
        <translation>Broker 密码</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Backend URL</source>
        <translation>后端 URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Backend token</source>
        <translation>后端令牌</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Backend CA file</source>
        <translation>后端 CA 文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prometheus URL</source>
        <translation>Prometheus URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alertmanager URL</source>
        <translation>Alertmanager URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Advanced: the watched system&apos;s transport</source>
        <translation>高级：被监控系统的传输设置</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Leave these empty to learn them from the broker. Set them as in the system&apos;s Celery broker_transport_options when they cannot be learned.</source>
        <translation>留空则从 broker 自动获取。无法自动获取时，请按系统 Celery 的 broker_transport_options 设置。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>learned; kombu&apos;s default is \x06\x16</source>
        <translation>自动获取；kombu 默认值为 \x06\x16</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>learned; kombu&apos;s default is 0,3,6,9</source>
        <translation>自动获取；kombu 默认值为 0,3,6,9</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>only the queues bound in the broker</source>
        <translation>仅 broker 中已绑定的队列</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Separator</source>
        <translation>分隔符</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority steps</source>
        <translation>优先级级别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Extra queues</source>
        <translation>额外队列</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>none stored</source>
        <translation>未保存</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>reading the keyring…</source>
        <translation>正在读取密钥环…</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Profile colour</source>
        <translation>配置文件颜色</translation>
    </message>
</context>
<context>
    <name>Profiles</name>
    <message>
        <location filename="../../domain/profiles/model.py" line="+61"/>
        <source>name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>broker URL</source>
        <translation>broker URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>backend URL</source>
        <translation>后端 URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prometheus URL</source>
        <translation>Prometheus URL</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alertmanager URL</source>
        <translation>Alertmanager URL</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>The name is empty.</source>
        <translation>名称为空。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The name starts or ends with a space.</source>
        <translation>名称以空格开头或结尾。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The name is longer than {max} characters.</source>
        <translation>名称超过 {max} 个字符。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The name contains control characters.</source>
        <translation>名称包含控制字符。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The colour “{colour}” is not of the form #rrggbb.</source>
        <translation>颜色“{colour}”不符合 #rrggbb 格式。</translation>
    </message>
    <message>
        <location line="+30"/>
        <location filename="../../domain/profiles/parse.py" line="+202"/>
        <source>The transport separator cannot be used: {reason}</source>
        <translation>无法使用该传输分隔符：{reason}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The priority steps cannot be used: {reason}</source>
        <translation>无法使用这些优先级级别：{reason}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The queue name “{queue}” contains control characters.</source>
        <translation>队列名称“{queue}”包含控制字符。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The queue name “{queue}” is empty or holds a space or a comma.</source>
        <translation>队列名称“{queue}”为空，或包含空格或逗号。</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>The {field} is empty.</source>
        <translation>{field}为空。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The {field} contains spaces.</source>
        <translation>{field}包含空格。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The {field} is not a valid URL (check the host and port).</source>
        <translation>{field}不是有效的 URL（请检查主机和端口）。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The broker URL is not a usable Sentinel URL: {why}</source>
        <translation>Broker URL 不是可用的 Sentinel URL：{why}</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The broker URL contains the Sentinels&apos; password (sentinel_password), which would be kept in the profile file in plain text. Give that URL with --broker-url when starting TaskDeck instead.</source>
        <translation>Broker URL 含有 Sentinel 的密码（sentinel_password），它会以明文保存在配置文件中。请改为在启动 TaskDeck 时用 --broker-url 提供该 URL。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The broker URL must start with redis://, rediss://, unix:// or sentinel://.</source>
        <translation>Broker URL 必须以 redis://、rediss://、unix:// 或 sentinel:// 开头。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The broker URL has no socket path, as in unix:///run/redis/redis.sock.</source>
        <translation>Broker URL 缺少套接字路径，例如 unix:///run/redis/redis.sock。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The broker URL has no host name.</source>
        <translation>Broker URL 缺少主机名。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The broker URL&apos;s database must be a number, as in redis://host:6379/0.</source>
        <translation>Broker URL 中的数据库必须是数字，例如 redis://host:6379/0。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>The broker URL contains a password. Enter it in the password field: it is kept in the system keyring, not in the profile file.</source>
        <translation>Broker URL 中包含密码。请在密码字段中输入：密码保存在系统密钥环中，而不是配置文件里。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The {field} must start with http:// or https://.</source>
        <translation>{field}必须以 http:// 或 https:// 开头。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The {field} has no host name.</source>
        <translation>{field}缺少主机名。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The {field} contains a password; passwords are not kept in the profile file.</source>
        <translation>{field}中包含密码；配置文件不保存密码。</translation>
    </message>
    <message>
        <location line="+100"/>
        <source>Profile {number} “{name}”</source>
        <translation>配置文件 {number}“{name}”</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Profile {number}</source>
        <translation>配置文件 {number}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{profile}: {problem}</source>
        <translation>{profile}：{problem}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{profile}: the name is already used by profile {other}.</source>
        <translation>{profile}：该名称已被配置文件 {other} 使用。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>The active profile “{name}” is not among the profiles.</source>
        <translation>活动配置文件“{name}”不在配置文件列表中。</translation>
    </message>
    <message>
        <location filename="../../domain/profiles/parse.py" line="-169"/>
        <source>“colour” must be text in quotes, as in &quot;#3b82f6&quot;; the profile is ignored.</source>
        <translation>“colour”必须是带引号的文本，例如 &quot;#3b82f6&quot;；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“production” must be true or false; the profile is ignored.</source>
        <translation>“production”必须为 true 或 false；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“notifications” must be true or false; the profile is ignored.</source>
        <translation>“notifications”必须为 true 或 false；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>“backend_ca_file” must be a file path in quotes; the profile is ignored.</source>
        <translation>“backend_ca_file”必须是带引号的文件路径；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{file} is not UTF-8 text. Save it as UTF-8 or delete it; TaskDeck will start without it.</source>
        <translation>{file} 不是 UTF-8 文本。请将其另存为 UTF-8 或删除；TaskDeck 将在不使用它的情况下启动。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{file} nests lists or tables too deeply to be a profiles file. Fix it or delete it; TaskDeck will start without it.</source>
        <translation>{file} 中的列表或表嵌套过深，不是有效的配置文件。请修正或删除；TaskDeck 将在不使用它的情况下启动。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>{file}, line {line}, column {column}: {reason}. Fix it or delete it; TaskDeck will start without it.</source>
        <translation>{file}，第 {line} 行，第 {column} 列：{reason}。请修正或删除；TaskDeck 将在不使用它的情况下启动。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>{file}: unknown setting “{key}” ignored.</source>
        <translation>{file}：已忽略未知设置“{key}”。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{file}: “active” must be a profile name in quotes; no profile is active.</source>
        <translation>{file}：“active”必须是带引号的配置文件名称；没有活动配置文件。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{file}: “profile” must be a list of [[profile]] tables; no profile was read.</source>
        <translation>{file}：“profile”必须是 [[profile]] 表的列表；未读取任何配置文件。</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>{file}: {entry}: the name is already used by {other}; this profile is ignored.</source>
        <translation>{file}：{entry}：该名称已被 {other} 使用；已忽略此配置文件。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>{file}: the active profile “{name}” is not defined; no profile is active.</source>
        <translation>{file}：活动配置文件“{name}”未定义；没有活动配置文件。</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>“transport_sep” must be text in quotes, as in &apos;\x06\x16&apos;.</source>
        <translation>“transport_sep”必须是带引号的文本，例如 &apos;\x06\x16&apos;。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>“priority_steps” must be a list of whole numbers, as in [0, 3, 6, 9].</source>
        <translation>“priority_steps”必须是整数列表，例如 [0, 3, 6, 9]。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>“queues” must be a list of queue names in quotes, as in [&quot;erp_sync&quot;].</source>
        <translation>“queues”必须是带引号的队列名称列表，例如 [&quot;erp_sync&quot;]。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>“{key}” has {size} entries, more than a profile holds ({max}); the profile is ignored.</source>
        <translation>“{key}”有 {size} 项，超过配置文件允许的上限（{max}）；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>“{key}” is {size} characters long, more than a profile holds ({max}); the profile is ignored.</source>
        <translation>“{key}”长 {size} 个字符，超过配置文件允许的上限（{max}）；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>profile {number} “{name}” (line {line})</source>
        <translation>配置文件 {number}“{name}”（第 {line} 行）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>profile {number} (line {line})</source>
        <translation>配置文件 {number}（第 {line} 行）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>profile {number} “{name}”</source>
        <translation>配置文件 {number}“{name}”</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>profile {number}</source>
        <translation>配置文件 {number}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{file}: {entry}: {problem}</source>
        <translation>{file}：{entry}：{problem}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>not a table; it is ignored.</source>
        <translation>不是表；已忽略。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>unknown key “{key}” ignored.</source>
        <translation>已忽略未知键“{key}”。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>“{key}” is missing; the profile is ignored.</source>
        <translation>缺少“{key}”；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>“{key}” must be text in quotes; the profile is ignored.</source>
        <translation>“{key}”必须是带引号的文本；已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+22"/>
        <source>{reason} The profile is ignored.</source>
        <translation>{reason}已忽略该配置文件。</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>the password in the broker URL was ignored. Enter it in the profile dialog: it is kept in the system keyring, not in this file.</source>
        <translation>已忽略 broker URL 中的密码。请在配置文件对话框中输入：密码保存在系统密钥环中，而不是此文件里。</translation>
    </message>
    <message>
        <location filename="../../domain/profiles/store.py" line="+69"/>
        <source>{file} cannot be used ({error}). Fix it or delete it; TaskDeck will start without it.</source>
        <translation>无法使用 {file}（{error}）。请修正或删除；TaskDeck 将在不使用它的情况下启动。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>{file} cannot be read ({error}). Check its permissions; TaskDeck will start without it.</source>
        <translation>无法读取 {file}（{error}）。请检查其权限；TaskDeck 将在不使用它的情况下启动。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{file} is larger than a profiles file can be ({max} MB), so it was not read. Fix it or delete it; TaskDeck will start without it.</source>
        <translation>{file} 超过配置文件的大小上限（{max} MB），未读取。请修正或删除；TaskDeck 将在不使用它的情况下启动。</translation>
    </message>
</context>
<context>
    <name>QueueMessagesController</name>
    <message>
        <location filename="../../controllers/queue_messages_controller.py" line="+207"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Change of priority</source>
        <translation>更改优先级</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{action}, task {id}: {outcome}</source>
        <translation>{action}，任务 {id}：{outcome}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{count} {outcome}</source>
        <translation>{count} 个{outcome}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{action}, {total} tasks: {outcomes}</source>
        <translation>{action}，{total} 个任务：{outcomes}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>(still running as job {job})</source>
        <translation>（仍在作为作业 {job} 运行）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(the job failed; see the audit log)</source>
        <translation>（作业失败；请查看审计日志）</translation>
    </message>
</context>
<context>
    <name>QueuesPage</name>
    <message>
        <location filename="../../views/queues_page.py" line="+52"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Filter queues (Ctrl+F)</source>
        <translation>筛选队列（Ctrl+F）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Depth of the selected queue (1 h)</source>
        <translation>所选队列的深度（1 小时）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Select a queue</source>
        <translation>选择一个队列</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Search all waiting messages (id, task, user, arguments)</source>
        <translation>搜索全部等待中的消息（ID、任务、用户、参数）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Select a queue to see its waiting messages, in the order they will run.</source>
        <translation>选择一个队列以查看其等待中的消息（按执行顺序）。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancel…</source>
        <translation>取消…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Change priority…</source>
        <translation>更改优先级…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>◀ Previous</source>
        <translation>◀ 上一页</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next ▶</source>
        <translation>下一页 ▶</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Broker unreachable{since} ({reason}): the depths shown are not current.</source>
        <translation>无法连接 broker{since}（{reason}）：显示的深度不是最新数据。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Backend unreachable{since} ({reason}): the oldest ages and waiting messages shown are not current.</source>
        <translation>无法连接后端{since}（{reason}）：显示的最长等待时间和等待消息不是最新数据。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source> since {time}</source>
        <translation>（自 {time} 起）</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>The system&apos;s priority steps are unknown (lists of steps {seen} hold messages): the backend refuses to move a task until they are configured.</source>
        <translation>系统的优先级级别未知（级别 {seen} 的列表中有消息）：在配置之前，后端拒绝移动任务。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>It will wait in the list {list}: the system&apos;s step {step}, for Celery priorities {low}–{high}.</source>
        <translation>它将在列表 {list} 中等待：系统级别 {step}，对应 Celery 优先级 {low}–{high}。</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>{queue}: {shown} of {total} waiting match “{search}”, in run order</source>
        <translation>{queue}：{total} 条等待消息中有 {shown} 条匹配“{search}”，按执行顺序</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{queue}: {total} waiting, in run order</source>
        <translation>{queue}：{total} 条等待中，按执行顺序</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{first}–{last} of {total}</source>
        <translation>第 {first}–{last} 条，共 {total} 条</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Cancelling needs the support or admin role.</source>
        <translation>取消操作需要 support 或 admin 角色。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Changing priority needs the admin role.</source>
        <translation>更改优先级需要 admin 角色。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{id}  {task}  user {user}, priority {priority}</source>
        <translation>{id}  {task}  用户 {user}，优先级 {priority}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>… and {n} more</source>
        <translation>……另有 {n} 个</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>1 task waiting in {queue}:</source>
        <translation>{queue} 中有 1 个任务在等待：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} tasks waiting in {queue}:</source>
        <translation>{queue} 中有 {n} 个任务在等待：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Cancel task {id}</source>
        <translation>取消任务 {id}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancel {n} tasks</source>
        <translation>取消 {n} 个任务</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Change priority of task {id}</source>
        <translation>更改任务 {id} 的优先级</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Change priority of {n} tasks</source>
        <translation>更改 {n} 个任务的优先级</translation>
    </message>
</context>
<context>
    <name>QueuesTableModel</name>
    <message>
        <location filename="../../models/queues_table_model.py" line="+27"/>
        <source>Priority {n}</source>
        <translation>优先级 {n}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Workers that received a task from this queue in the last 5 minutes, as Prometheus counts them from the workers&apos; celery_task_received_total; a worker bound to the queue that received nothing in that time is not counted. Blank without Prometheus.</source>
        <translation>最近 5 分钟内从此队列接收过任务的 worker，由 Prometheus 根据各 worker 的 celery_task_received_total 统计；绑定了该队列但在此期间未接收任务的 worker 不计入。没有 Prometheus 时为空。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Depth</source>
        <translation>深度</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>By priority (10 first)</source>
        <translation>按优先级（10 在前）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Oldest waiting</source>
        <translation>最长等待</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Oldest waiting (s)</source>
        <translation>最长等待（秒）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>In</source>
        <translation>入队</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>In (/s)</source>
        <translation>入队（/s）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Out</source>
        <translation>出队</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Out (/s)</source>
        <translation>出队（/s）</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+6"/>
        <source>Receiving workers (5 min)</source>
        <translation>接收中的 worker（5 分钟）</translation>
    </message>
</context>
<context>
    <name>QuotaDialog</name>
    <message>
        <location filename="../../views/quotas_page.py" line="+145"/>
        <source>Tasks queued or running at once: 1 … 100,000</source>
        <translation>同时排队或运行的任务数：1 … 100,000</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>New limit:</source>
        <translation>新上限：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Why (recorded in the audit log)</source>
        <translation>原因（记入审计日志）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Give a reason.</source>
        <translation>请填写原因。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Asking the backend…</source>
        <translation>正在询问后端…</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>QuotasController</name>
    <message>
        <location filename="../../controllers/quotas_controller.py" line="+95"/>
        <source>Quotas: {problem}</source>
        <translation>配额：{problem}</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Open tasks: {problem}; queued and running are not known.</source>
        <translation>未完成任务：{problem}；排队和运行中的数量未知。</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>{user}&apos;s limit is now {limit} (was {previous}); audit entry {audit}.</source>
        <translation>{user} 的上限现为 {limit}（原为 {previous}）；审计条目 {audit}。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The default limit is now {limit} (was {previous}); audit entry {audit}.</source>
        <translation>默认上限现为 {limit}（原为 {previous}）；审计条目 {audit}。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{user} reconciled: {released} slots freed, {added} taken again; {used} used, drift {drift}; audit entry {audit}.</source>
        <translation>{user} 已校正：释放 {released} 个名额，重新占用 {added} 个；已用 {used}，偏差 {drift}；审计条目 {audit}。</translation>
    </message>
</context>
<context>
    <name>QuotasPage</name>
    <message>
        <location filename="../../views/quotas_page.py" line="-144"/>
        <source>The backend did not answer: the change may or may not have been made. The table shows what holds once the backend answers again.</source>
        <translation>后端未应答：更改可能已生效，也可能未生效。待后端再次应答后，表格将显示实际状态。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{problem}. Nothing was sent, so nothing was changed.</source>
        <translation>{problem}。未发送任何内容，因此未做任何更改。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The backend refused (HTTP {status}): {problem}. Nothing was changed.</source>
        <translation>后端拒绝（HTTP {status}）：{problem}。未做任何更改。</translation>
    </message>
    <message>
        <location line="+158"/>
        <source>Quotas</source>
        <translation>配额</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Change default…</source>
        <translation>更改默认值…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Filter users (Ctrl+F)</source>
        <translation>筛选用户（Ctrl+F）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Slots used by the selected user (1 h)</source>
        <translation>所选用户已用名额（1 小时）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Select a user</source>
        <translation>选择一个用户</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+81"/>
        <source>Select a user to see the tasks that hold slots.</source>
        <translation>选择一个用户以查看占用名额的任务。</translation>
    </message>
    <message>
        <location line="-78"/>
        <source>Show in Tasks</source>
        <translation>在任务页中显示</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Change limit…</source>
        <translation>更改上限…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reconcile…</source>
        <translation>校正…</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Prometheus: {error}</source>
        <translation>Prometheus：{error}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No Prometheus configured: no trend</source>
        <translation>未配置 Prometheus：无趋势</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Users without a limit of their own have the backend&apos;s default limit (not known yet).</source>
        <translation>没有单独上限的用户使用后端的默认上限（尚未知）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Users without a limit of their own may hold {limit} slots: the default an admin set (the backend&apos;s setting TASKDECK_QUOTA_DEFAULT is {setting}).</source>
        <translation>没有单独上限的用户最多可占用 {limit} 个名额：这是管理员设置的默认值（后端设置 TASKDECK_QUOTA_DEFAULT 为 {setting}）。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Users without a limit of their own may hold {limit} slots: the backend&apos;s setting TASKDECK_QUOTA_DEFAULT.</source>
        <translation>没有单独上限的用户最多可占用 {limit} 个名额：来自后端设置 TASKDECK_QUOTA_DEFAULT。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{problem} (at {time}; the rows shown are the last read)</source>
        <translation>{problem}（于 {time}；显示的是最近一次读取的行）</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>{id}  {name}  {state}  {queue}</source>
        <translation>{id}  {name}  {state}  {queue}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>… and {n} more</source>
        <translation>……另有 {n} 个</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{user}: {n} open tasks in the ledger, {used} slots held</source>
        <translation>{user}：任务台账中有 {n} 个未完成任务，占用 {used} 个名额</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Changing a quota needs the admin role (this profile&apos;s role: {role}).</source>
        <translation>更改配额需要 admin 角色（此配置文件的角色：{role}）。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Select a user.</source>
        <translation>请选择一个用户。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The default is not known yet.</source>
        <translation>默认值尚未知。</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Users without a limit of their own may hold {limit} slots. The new default applies to their next submission, on every backend; tasks already accepted stay.</source>
        <translation>没有单独上限的用户最多可占用 {limit} 个名额。新的默认值在所有后端上对其下一次提交生效；已接受的任务不受影响。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Change the default limit</source>
        <translation>更改默认上限</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Change {user}&apos;s limit</source>
        <translation>更改 {user} 的上限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{user} holds {used} of {limit} slots. The new limit applies to the next submission; tasks already accepted stay.</source>
        <translation>{user} 占用了 {limit} 个名额中的 {used} 个。新上限对下一次提交生效；已接受的任务不受影响。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Reconcile {user}&apos;s slots</source>
        <translation>校正 {user} 的名额</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{user} holds {used} slots; the ledger knows {open} open tasks (drift {drift}). Reconciling makes the slots exactly those tasks.</source>
        <translation>{user} 占用 {used} 个名额；任务台账中有 {open} 个未完成任务（偏差 {drift}）。校正后名额将与这些任务完全一致。</translation>
    </message>
</context>
<context>
    <name>QuotasTableModel</name>
    <message>
        <location filename="../../models/quotas_table_model.py" line="+57"/>
        <source>{used} / {limit}</source>
        <translation>{used} / {limit}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{used} of {limit} slots held ({share}); a submission beyond the limit is refused</source>
        <translation>已占用 {limit} 个名额中的 {used} 个（{share}）；超出上限的提交将被拒绝</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>slots held minus open tasks the ledger knows: {used} − {open} = {drift}</source>
        <translation>已占用名额减去台账中的未完成任务：{used} − {open} = {drift}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{n} slots are held that no open task explains (a finished or lost task whose slot was not freed); the user may submit fewer tasks than the limit. Reconcile frees them.</source>
        <translation>有 {n} 个名额被占用，但没有对应的未完成任务（已结束或丢失的任务未释放名额）；该用户可提交的任务可能少于上限。校正会释放这些名额。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{n} open tasks hold no slot (a slot lost in the broker); the user may have more tasks than the limit. Reconcile takes their slots again.</source>
        <translation>有 {n} 个未完成任务没有占用名额（名额在 broker 中丢失）；该用户的任务可能多于上限。校正会为其重新占用名额。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The slots held are the user&apos;s open tasks.</source>
        <translation>占用的名额即该用户的未完成任务。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Used / limit</source>
        <translation>已用 / 上限</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Used</source>
        <translation>已用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Limit</source>
        <translation>上限</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Open tasks waiting: sent, received by a worker, or to be tried again</source>
        <translation>等待中的未完成任务：已发送、已被 worker 接收或等待重试</translation>
    </message>
    <message>
        <location line="-4"/>
        <location line="+8"/>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+4"/>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+6"/>
        <source>Drift</source>
        <translation>偏差</translation>
    </message>
</context>
<context>
    <name>RateLimitsController</name>
    <message>
        <location filename="../../controllers/ratelimits_controller.py" line="+85"/>
        <source>The rate limits could not be read: {problem}</source>
        <translation>无法读取速率限制：{problem}</translation>
    </message>
</context>
<context>
    <name>RateLimitsPage</name>
    <message>
        <location filename="../../models/anomaly_evidence.py" line="+19"/>
        <source>Key far above its own rejections</source>
        <translation>密钥拒绝次数远高于其自身基线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Endpoint&apos;s share of 429s jumped</source>
        <translation>端点的 429 占比突增</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Address acting as many users</source>
        <translation>一个地址冒充多个用户</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>rejections</source>
        <translation>拒绝数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rejected</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>baseline of rejections (mean)</source>
        <translation>拒绝数基线（均值）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>baseline of rejections (std)</source>
        <translation>拒绝数基线（标准差）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>baseline share of 429s</source>
        <translation>429 占比基线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>share of 429s</source>
        <translation>429 占比</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>users from this address</source>
        <translation>来自此地址的用户</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>{name}, in all</source>
        <translation>{name}，合计</translation>
    </message>
    <message>
        <location filename="../../views/ratelimits_page.py" line="+54"/>
        <source>Rate limits</source>
        <translation>速率限制</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Filter anomalies</source>
        <translation>筛选异常</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+169"/>
        <source>Select an anomaly to see its evidence.</source>
        <translation>选择一个异常以查看其证据。</translation>
    </message>
    <message>
        <location line="-167"/>
        <source>Evidence, per bucket</source>
        <translation>证据（按时间桶）</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Rejections per tier and endpoint (1 h)</source>
        <translation>各层级和端点的拒绝数（1 小时）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rejections/min</source>
        <translation>拒绝数/分钟</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Filter the latest rejections</source>
        <translation>筛选最近的拒绝记录</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+73"/>
        <source>Tiers</source>
        <translation>层级</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>{kind}: {subject} is over (last seen at {time}).</source>
        <translation>{kind}：{subject} 已结束（最近出现于 {time}）。</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>{kind}: {subject}, score {score}, seen {first}–{last}</source>
        <translation>{kind}：{subject}，评分 {score}，出现于 {first}–{last}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No series in this anomaly&apos;s evidence.</source>
        <translation>此异常的证据中没有数据序列。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{name} ({n}):</source>
        <translation>{name}（{n}）：</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>{endpoint}: {requests} requests, {rejected} rejected ({share})</source>
        <translation>{endpoint}：{requests} 个请求，{rejected} 个被拒绝（{share}）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>In the last {window} s:</source>
        <translation>最近 {window} 秒内：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rejected per tier and endpoint: {tiers}</source>
        <translation>各层级和端点的拒绝数：{tiers}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Tiers: requests allowed per {window} s, and their users</source>
        <translation>层级：每 {window} 秒允许的请求数及其用户</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Tier</source>
        <translation>层级</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Users</source>
        <translation>用户</translation>
    </message>
</context>
<context>
    <name>RejectionsTableModel</name>
    <message>
        <location line="-299"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tier</source>
        <translation>层级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Endpoint</source>
        <translation>端点</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
</context>
<context>
    <name>Report</name>
    <message>
        <location filename="../../reports/charts.py" line="+44"/>
        <source>no data in this window</source>
        <translation>此时间窗口内无数据</translation>
    </message>
    <message>
        <location filename="../../reports/collect.py" line="+85"/>
        <source>Queue depth</source>
        <translation>队列深度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tasks per second by state</source>
        <translation>各状态每秒任务数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failure rate (5 min)</source>
        <translation>失败率（5 分钟）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>p95 runtime (5 min)</source>
        <translation>p95 运行时长（5 分钟）</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>{problem} — {lost}</source>
        <translation>{problem} — {lost}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the backend at {url} answered HTTP {status}: {detail}</source>
        <translation>位于 {url} 的后端返回 HTTP {status}：{detail}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Prometheus at {url}: {reason}</source>
        <translation>位于 {url} 的 Prometheus：{reason}</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>no {service} is configured for {environment}</source>
        <translation>{environment} 未配置 {service}</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>at least {n}</source>
        <translation>至少 {n}</translation>
    </message>
    <message>
        <location line="+81"/>
        <location line="+148"/>
        <location line="+132"/>
        <location line="+85"/>
        <location line="+216"/>
        <location line="+74"/>
        <source>backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <location line="-654"/>
        <location line="+8"/>
        <source>the task counts are not in this report</source>
        <translation>本报告不含任务计数</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+764"/>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <location line="-753"/>
        <source>GET /api/v1/stats/tasks (the ledger), the last {s} s</source>
        <translation>GET /api/v1/stats/tasks（任务台账），最近 {s} 秒</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the ledger&apos;s tasks that ended in the window</source>
        <translation>任务台账中在窗口内结束的任务</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Tasks created in the window</source>
        <translation>窗口内创建的任务</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Succeeded in the window</source>
        <translation>窗口内成功</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Failed in the window</source>
        <translation>窗口内失败</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Failure rate</source>
        <translation>失败率</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Succeeded, failed and the failure rate count tasks that ended in the window ({source}); tasks by state and by queue count tasks created in the window, in the state they are in now.</source>
        <translation>成功数、失败数和失败率统计在窗口内结束的任务（{source}）；按状态和按队列的任务数统计在窗口内创建的任务，按其当前状态计。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>More tasks ended in the window than the report counts ({n} of each state): the counts say “at least” and the failure rate is not given; the Failures section counts the failures by group.</source>
        <translation>窗口内结束的任务超过报告的统计上限（每种状态 {n} 个）：计数为“至少”，且不给出失败率；“失败”一节按组统计失败。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The window holds no tasks: none was created in it and none ended in it.</source>
        <translation>此窗口内没有任务：既没有创建的任务，也没有结束的任务。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No task was created in the window.</source>
        <translation>窗口内没有创建任务。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Tasks created in the window, by state now</source>
        <translation>窗口内创建的任务，按当前状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The newest {n} tasks of the window; there were more.</source>
        <translation>窗口内最新的 {n} 个任务；实际还有更多。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Busiest queues</source>
        <translation>最繁忙的队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failure share</source>
        <translation>失败占比</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Tasks created in the window, the {n} busiest queues of {all}.</source>
        <translation>窗口内创建的任务，{all} 个队列中最繁忙的 {n} 个。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the workers&apos; up time and restarts are not in this report</source>
        <translation>本报告不含 worker 的在线时长和重启</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+11"/>
        <source>the workers&apos; state now is not in this report</source>
        <translation>本报告不含 worker 的当前状态</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>not listed</source>
        <translation>未列出</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Workers</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status now</source>
        <translation>当前状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Up in the window</source>
        <translation>窗口内在线时长</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Up share</source>
        <translation>在线占比</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Came back up</source>
        <translation>恢复在线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Process started in the window</source>
        <translation>窗口内进程启动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tasks processed</source>
        <translation>已处理任务</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Up time is the time celery_worker_up was 1 in the window (the share of its scrapes, per step of {step} s). “Came back up” counts the steps in which it returned to 1 after being 0 or absent (several returns within one step count once); a restart within the heartbeat timeout never makes it 0, so it is not seen there. “Process started” is when the backend first heard the worker&apos;s current process, when that is in the window; status and tasks processed are as the backend sees them now.</source>
        <translation>在线时长是窗口内 celery_worker_up 为 1 的时间（按每 {step} 秒一个步长统计其抓取样本的占比）。“恢复在线”统计其在为 0 或缺失后回到 1 的步长数（同一步长内多次恢复只计一次）；在心跳超时内完成的重启不会使其变为 0，因此不会在此体现。“进程启动”是后端首次收到该 worker 当前进程消息的时间（若在窗口内）；状态和已处理任务数为后端当前所见。</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>the trend plots are not in this report</source>
        <translation>本报告不含趋势图</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+32"/>
        <location line="+516"/>
        <source>Trends</source>
        <translation>趋势</translation>
    </message>
    <message>
        <location line="-528"/>
        <source>The Overview&apos;s plots over the window, read from Prometheus every {step} s.</source>
        <translation>概览页的图表在窗口内的数据，每 {step} 秒从 Prometheus 读取一次。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Prometheus holds no samples of these plots in the window.</source>
        <translation>Prometheus 中没有这些图表在窗口内的样本。</translation>
    </message>
    <message>
        <location line="+18"/>
        <location line="+25"/>
        <location line="+30"/>
        <location line="+450"/>
        <source>Failures</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="-501"/>
        <location line="+8"/>
        <source>the failure groups are not in this report</source>
        <translation>本报告不含失败组</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Top failure groups</source>
        <translation>最大的失败组</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Signature</source>
        <translation>特征</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Users affected</source>
        <translation>受影响用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Users</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+91"/>
        <source>First seen</source>
        <translation>首次出现</translation>
    </message>
    <message>
        <location line="-90"/>
        <location line="+91"/>
        <source>Last seen</source>
        <translation>最近出现</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>The {n} largest of {all} groups of failures in the window.</source>
        <translation>窗口内 {all} 个失败组中最大的 {n} 个。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No task failed in the window.</source>
        <translation>窗口内没有失败的任务。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>the sample traceback of task {id} is not in this report</source>
        <translation>本报告不含任务 {id} 的示例回溯</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{task}: {error} (task {id})</source>
        <translation>{task}：{error}（任务 {id}）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The ledger holds no traceback of this task.</source>
        <translation>任务台账中没有此任务的回溯。</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+8"/>
        <source>Failure groups</source>
        <translation>失败组</translation>
    </message>
    <message>
        <location line="+8"/>
        <location line="+77"/>
        <location line="+359"/>
        <source>Rate-limit anomalies</source>
        <translation>速率限制异常</translation>
    </message>
    <message>
        <location line="-417"/>
        <location line="+20"/>
        <source>the anomalies are not in this report</source>
        <translation>本报告不含异常</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>the anomalies&apos; buckets are drawn a minute long</source>
        <translation>异常的时间桶按 1 分钟绘制</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Anomalies seen in the window</source>
        <translation>窗口内出现的异常</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Subject</source>
        <translation>对象</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{n} of the {all} anomalies the backend holds now were seen in the window.</source>
        <translation>后端当前保存的 {all} 个异常中，有 {n} 个出现在窗口内。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No anomaly was seen in the window.</source>
        <translation>窗口内未出现异常。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The backend keeps the anomalies of its detector&apos;s recent buckets: those seen in the window are listed, each with its evidence per bucket of {bucket} s.</source>
        <translation>后端保存其检测器最近时间桶中的异常：列出在窗口内出现的异常，每个附有按 {bucket} 秒时间桶划分的证据。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>the rejections over the window are not in this report</source>
        <translation>本报告不含窗口内的拒绝记录</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Rejections per tier and endpoint</source>
        <translation>各层级和端点的拒绝数</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>rejections/min</source>
        <translation>拒绝数/分钟</translation>
    </message>
    <message>
        <location line="+21"/>
        <location line="+324"/>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="-311"/>
        <source>the alerts fired in the window are not in this report</source>
        <translation>本报告不含窗口内触发的告警</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Alerts fired in the window</source>
        <translation>窗口内触发的告警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alert</source>
        <translation>告警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Severity</source>
        <translation>严重级别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Labels</source>
        <translation>标签</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Firing from</source>
        <translation>触发开始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Until</source>
        <translation>直到</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duration</source>
        <translation>持续时长</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>From Prometheus&apos; ALERTS series, read per step of {step} s: an alert is listed if it fired at any moment of a step, and its start and end are to within a step (the duration is at most that much longer than it was). No end: still firing at the window&apos;s end.</source>
        <translation>来自 Prometheus 的 ALERTS 序列，按每 {step} 秒一个步长读取：告警在某个步长内任一时刻触发即被列出，其开始和结束时间精确到一个步长（持续时长最多比实际长一个步长）。无结束时间：窗口结束时仍在触发。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No alert fired in the window.</source>
        <translation>窗口内没有触发告警。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Alerts fired</source>
        <translation>已触发的告警</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the silences are not in this report</source>
        <translation>本报告不含静默</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Silences in force in the window</source>
        <translation>窗口内生效的静默</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Matchers</source>
        <translation>匹配器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Created by</source>
        <translation>创建者</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Starts</source>
        <translation>开始</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Ends</source>
        <translation>结束</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State now</source>
        <translation>当前状态</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>As Alertmanager keeps them now (it forgets expired silences after its retention time).</source>
        <translation>按 Alertmanager 当前保存的静默列出（过期静默超过其保留时间后会被删除）。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No silence was in force in the window.</source>
        <translation>窗口内没有生效的静默。</translation>
    </message>
    <message>
        <location line="+50"/>
        <location line="+208"/>
        <source>Quotas</source>
        <translation>配额</translation>
    </message>
    <message>
        <location line="-206"/>
        <source>the quotas are not in this report</source>
        <translation>本报告不含配额</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Quotas now</source>
        <translation>当前配额</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Used</source>
        <translation>已用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Limit</source>
        <translation>上限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Saturation</source>
        <translation>饱和度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Drift</source>
        <translation>偏差</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Users with a slot held or a limit of their own, as the backend counts them at the report&apos;s making.</source>
        <translation>占用名额或有单独上限的用户，按后端在生成报告时的统计。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No user holds a slot or has a limit of their own.</source>
        <translation>没有用户占用名额或有单独上限。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Highest quota saturation</source>
        <translation>配额饱和度最高</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the quota usage over the window is not in this report</source>
        <translation>本报告不含窗口内的配额使用情况</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Slots used, per user</source>
        <translation>各用户已用名额</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The slots used over the window of the {n} most saturated users.</source>
        <translation>饱和度最高的 {n} 个用户在窗口内的已用名额。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Prometheus holds no samples of taskdeck_quota_used for these users in the window.</source>
        <translation>Prometheus 中没有这些用户在窗口内的 taskdeck_quota_used 样本。</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+135"/>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <location line="-133"/>
        <source>the audit log is not in this report</source>
        <translation>本报告不含审计日志</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>the audit entries older than those listed are not in this report</source>
        <translation>本报告不含早于所列条目的审计条目</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The newest {n} entries of the window; there were more.</source>
        <translation>窗口内最新的 {n} 条记录；实际还有更多。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n} entries, newest first.</source>
        <translation>{n} 条记录，最新的在前。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Audit log of the window</source>
        <translation>窗口内的审计日志</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Who</source>
        <translation>操作人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Targets</source>
        <translation>目标</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Target count</source>
        <translation>目标数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No audit entry was made in the window.</source>
        <translation>窗口内没有审计条目。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Audit entries</source>
        <translation>审计条目</translation>
    </message>
    <message>
        <location line="+116"/>
        <source>Collecting the report</source>
        <translation>正在收集报告</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>the {section} could not be collected: {error}</source>
        <translation>无法收集{section}：{error}</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>The window holds no data: no task was created or ended in it, and it holds no sample, failure, alert or audit entry.</source>
        <translation>此窗口内没有数据：没有创建或结束的任务，也没有样本、失败、告警或审计条目。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>TaskDeck report: {environment}</source>
        <translation>TaskDeck 报告：{environment}</translation>
    </message>
    <message>
        <location filename="../../reports/labels.py" line="+9"/>
        <source>Environment</source>
        <translation>环境</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Window</source>
        <translation>时间窗口</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Generated at</source>
        <translation>生成时间</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not in this report:</source>
        <translation>本报告不含：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not in this section:</source>
        <translation>本节不含：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>(continued)</source>
        <translation>（续）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Page {page} of {total}</source>
        <translation>第 {page} 页，共 {total} 页</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>None in this window.</source>
        <translation>此时间窗口内无记录。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No samples in this window.</source>
        <translation>此时间窗口内无样本。</translation>
    </message>
</context>
<context>
    <name>ReportWrite</name>
    <message>
        <location filename="../../reports/atomic.py" line="+38"/>
        <source>cannot write {path}: permission denied; choose another folder</source>
        <translation>无法写入 {path}：权限被拒绝；请选择其他文件夹</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>cannot write {path}: no space left on the device; free some space or choose another disk</source>
        <translation>无法写入 {path}：设备空间不足；请释放空间或选择其他磁盘</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cannot write {path}: the disk quota is exceeded; free some space or choose another disk</source>
        <translation>无法写入 {path}：超出磁盘配额；请释放空间或选择其他磁盘</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cannot write {path}: the file is larger than this system allows (file size limit); choose another disk or raise the limit</source>
        <translation>无法写入 {path}：文件超过系统允许的大小（文件大小限制）；请选择其他磁盘或提高限制</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cannot write {path}: the disk is read-only; choose another folder</source>
        <translation>无法写入 {path}：磁盘为只读；请选择其他文件夹</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>cannot write {path}: {folder} is not a folder; choose another folder</source>
        <translation>无法写入 {path}：{folder} 不是文件夹；请选择其他文件夹</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>cannot write {path}: the folder {folder} does not exist; choose an existing folder</source>
        <translation>无法写入 {path}：文件夹 {folder} 不存在；请选择已有的文件夹</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>cannot write {path}: it is a folder; choose a file name</source>
        <translation>无法写入 {path}：这是一个文件夹；请选择文件名</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>cannot write {path}: the name is too long; choose a shorter name</source>
        <translation>无法写入 {path}：名称过长；请选择较短的名称</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>cannot write {path}: {reason}; choose another folder or try again</source>
        <translation>无法写入 {path}：{reason}；请选择其他文件夹或重试</translation>
    </message>
</context>
<context>
    <name>ReportsController</name>
    <message>
        <location filename="../../controllers/reports_controller.py" line="+46"/>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>PDF (A4)</source>
        <translation>PDF（A4）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PDF (Letter)</source>
        <translation>PDF（Letter）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HTML (one file)</source>
        <translation>HTML（单个文件）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV (a folder of tables)</source>
        <translation>CSV（表格文件夹）</translation>
    </message>
    <message>
        <location line="+68"/>
        <source>Choose where to write the report.</source>
        <translation>请选择报告的写入位置。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{path} is a file: choose a folder for the CSV files.</source>
        <translation>{path} 是文件：请为 CSV 文件选择一个文件夹。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{path} is a folder: choose a file name.</source>
        <translation>{path} 是文件夹：请选择文件名。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{folder} is not a folder (it is a file): choose another place.</source>
        <translation>{folder} 不是文件夹（而是文件）：请选择其他位置。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The folder {folder} does not exist: choose an existing folder.</source>
        <translation>文件夹 {folder} 不存在：请选择已有的文件夹。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The folder {folder} cannot be written in (permission denied): choose another folder.</source>
        <translation>无法写入文件夹 {folder}（权限被拒绝）：请选择其他文件夹。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The window is not a valid time.</source>
        <translation>时间窗口不是有效的时间。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The window ends before it starts: choose a “to” later than the “from”.</source>
        <translation>时间窗口的结束早于开始：请选择晚于“从”的“到”。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Choose at least one section.</source>
        <translation>请至少选择一节。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Unknown sections: {names}.</source>
        <translation>未知的节：{names}。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Unknown format {fmt}.</source>
        <translation>未知格式 {fmt}。</translation>
    </message>
    <message>
        <location line="+111"/>
        <source>Collecting the report…</source>
        <translation>正在收集报告…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Collected: {what}</source>
        <translation>已收集：{what}</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+34"/>
        <source>The report could not be made: {error}</source>
        <translation>无法生成报告：{error}</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>Writing the report…</source>
        <translation>正在写入报告…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Written</source>
        <translation>已写入</translation>
    </message>
    <message>
        <location line="+8"/>
        <location line="+5"/>
        <source>The report could not be written: {problem}</source>
        <translation>无法写入报告：{problem}</translation>
    </message>
</context>
<context>
    <name>ReportsPage</name>
    <message>
        <location filename="../../views/reports_page.py" line="+66"/>
        <source>Reports</source>
        <translation>报告</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A report of this environment over a window of time, to keep or send: as PDF, as one HTML file, or as CSV tables.</source>
        <translation>此环境在某一时间窗口内的报告，可保存或发送：PDF、单个 HTML 文件或 CSV 表格。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>From … to …</source>
        <translation>从 … 到 …</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>from</source>
        <translation>从</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>to</source>
        <translation>到</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Window:</source>
        <translation>时间窗口：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sections:</source>
        <translation>节：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Write to:</source>
        <translation>写入到：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Make report</source>
        <translation>生成报告</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show folder</source>
        <translation>显示文件夹</translation>
    </message>
    <message>
        <location line="+123"/>
        <source>Folder for the CSV files</source>
        <translation>CSV 文件的文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Write the report to</source>
        <translation>将报告写入</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Not connected to an environment.</source>
        <translation>未连接到环境。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Written: {path} ({n} files)</source>
        <translation>已写入：{path}（{n} 个文件）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Written: {path}</source>
        <translation>已写入：{path}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Not in this report: the parts below could not be read.
{lines}</source>
        <translation>本报告不含：以下部分无法读取。
{lines}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The window holds no data: no task, sample, failure, alert or audit entry falls in it. The report says so.</source>
        <translation>此时间窗口内没有数据：没有任务、样本、失败、告警或审计条目。报告中会注明。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Report written to {path}; the window holds no data</source>
        <translation>报告已写入 {path}；此时间窗口内没有数据</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Report written to {path}</source>
        <translation>报告已写入 {path}</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Cancelled: no report was written.</source>
        <translation>已取消：未写入报告。</translation>
    </message>
</context>
<context>
    <name>ServicesTableModel</name>
    <message>
        <location filename="../../models/services_table_model.py" line="+27"/>
        <source>Broker (Redis)</source>
        <translation>Broker（Redis）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prometheus</source>
        <translation>Prometheus</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alertmanager</source>
        <translation>Alertmanager</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>from the snapshot</source>
        <translation>来自快照</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>down</source>
        <translation>离线</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>down for {time}</source>
        <translation>离线 {time}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Service</source>
        <translation>服务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Latency</source>
        <translation>延迟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Latency (ms)</source>
        <translation>延迟（ms）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last error</source>
        <translation>最近错误</translation>
    </message>
</context>
<context>
    <name>SilenceChangeDialog</name>
    <message>
        <location filename="../../views/dialogs/silence_dialog.py" line="+240"/>
        <source>New end:</source>
        <translation>新的结束时间：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Why (recorded in the audit log)</source>
        <translation>原因（记入审计日志）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>The new end must be after the current end, {end}.</source>
        <translation>新的结束时间必须晚于当前结束时间 {end}。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Give a reason.</source>
        <translation>请填写原因。</translation>
    </message>
</context>
<context>
    <name>SilenceDialog</name>
    <message>
        <location line="-141"/>
        <source>Silence alerts</source>
        <translation>静默告警</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Label</source>
        <translation>标签</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Regex</source>
        <translation>正则</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Add matcher</source>
        <translation>添加匹配器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove selected</source>
        <translation>移除所选</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Why (kept with the silence and audited)</source>
        <translation>原因（随静默保存并记入审计）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ends:</source>
        <translation>结束：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Comment:</source>
        <translation>备注：</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Add at least one matcher.</source>
        <translation>请至少添加一个匹配器。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>At most {n} matchers.</source>
        <translation>最多 {n} 个匹配器。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Every matcher needs a label name.</source>
        <translation>每个匹配器都需要标签名。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>“{name}” is not a label name (letters, digits and _, not starting with a digit).</source>
        <translation>“{name}”不是有效的标签名（字母、数字和 _，且不能以数字开头）。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>“{value}” is not a regular expression: {error}.</source>
        <translation>“{value}”不是有效的正则表达式：{error}。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>At least one matcher needs a value.</source>
        <translation>至少一个匹配器需要有值。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Give a comment: why are these alerts silenced?</source>
        <translation>请填写备注：为什么静默这些告警？</translation>
    </message>
</context>
<context>
    <name>Snapshot</name>
    <message>
        <location filename="../../snapshot/read_only.py" line="+15"/>
        <source>This is a snapshot, read-only: nothing can be changed from it. Open a live profile to act.</source>
        <translation>这是只读快照：无法从中进行任何更改。请打开实时配置文件进行操作。</translation>
    </message>
    <message>
        <location filename="../../translation_marks.py" line="+14"/>
        <source>the broker&apos;s transport was not saved in this snapshot</source>
        <translation>快照中未保存 broker 的传输设置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{file} (saved from {url})</source>
        <translation>{file}（保存自 {url}）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{path} was not saved in this snapshot (taken {moment}); it holds what the pages showed then.</source>
        <translation>快照中未保存 {path}（拍摄于 {moment}）；快照保存的是当时页面显示的内容。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>the query {query} was not saved in this snapshot</source>
        <translation>快照中未保存查询 {query}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not saved in this snapshot</source>
        <translation>快照中未保存</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alertmanager&apos;s {path} was not saved in this snapshot</source>
        <translation>快照中未保存 Alertmanager 的 {path}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>saved</source>
        <translation>保存于</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>from</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The snapshot&apos;s answer to {path} is not in a form this console reads; was it written by another version?</source>
        <translation>快照中对 {path} 的应答格式此控制台无法读取；是否由其他版本写入？</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>as saved at {moment}</source>
        <translation>保存于 {moment} 时的状态</translation>
    </message>
</context>
<context>
    <name>TaskDetailPane</name>
    <message>
        <location filename="../../views/task_detail.py" line="+98"/>
        <source>{count} characters</source>
        <translation>{count} 个字符</translation>
    </message>
    <message>
        <location line="+25"/>
        <location line="+67"/>
        <source>Select a task to see it in full.</source>
        <translation>选择一个任务以查看详情。</translation>
    </message>
    <message>
        <location line="-64"/>
        <source>Copy id</source>
        <translation>复制 ID</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Argument</source>
        <translation>参数</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy arguments</source>
        <translation>复制参数</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Copy traceback</source>
        <translation>复制回溯</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+6"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>Event</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+100"/>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="-94"/>
        <source>Who</source>
        <translation>操作人</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Arguments</source>
        <translation>参数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Traceback</source>
        <translation>回溯</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audit</source>
        <translation>审计</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>No traceback: the task did not fail.</source>
        <translation>无回溯：任务未失败。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Started</source>
        <translation>已开始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Finished</source>
        <translation>已结束</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Runtime</source>
        <translation>运行时长</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Retries</source>
        <translation>重试次数</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Exception</source>
        <translation>异常</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Lost</source>
        <translation>丢失</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Redelivery</source>
        <translation>重新投递</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Retry of</source>
        <translation>重试自</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Retried as</source>
        <translation>已重试为</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Audit ({n})</source>
        <translation>审计（{n}）</translation>
    </message>
</context>
<context>
    <name>TaskQuery</name>
    <message>
        <location filename="../../domain/task_query.py" line="+21"/>
        <source>last 5 min</source>
        <translation>最近 5 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>last 1 h</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>last 24 h</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <location line="+98"/>
        <source>failure group</source>
        <translation>失败组</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>state</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>user</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>received</source>
        <translation>接收时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>finished</source>
        <translation>结束时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>to</source>
        <translation>截至</translation>
    </message>
</context>
<context>
    <name>TasksController</name>
    <message>
        <location filename="../../controllers/tasks_controller.py" line="+80"/>
        <source>Not allowed: {detail}</source>
        <translation>不允许：{detail}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{detail} — try again in {seconds} s</source>
        <translation>{detail} — 请在 {seconds} 秒后重试</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The backend failed (HTTP {status}); nothing was changed by this request. Try again; if it persists, check the backend&apos;s log.</source>
        <translation>后端出错（HTTP {status}）；此请求未做任何更改。请重试；若问题持续，请查看后端日志。</translation>
    </message>
</context>
<context>
    <name>TasksPage</name>
    <message>
        <location filename="../../views/tasks_page.py" line="+96"/>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Any state</source>
        <translation>任意状态</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Task name</source>
        <translation>任务名称</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Any time</source>
        <translation>任意时间</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>From – to…</source>
        <translation>从 – 到…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Search: id, task, error text, argument values (e.g. 1234)</source>
        <translation>搜索：ID、任务、错误文本、参数值（例如 1234）</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>Retry…</source>
        <translation>重试…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel…</source>
        <translation>取消…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Change priority…</source>
        <translation>更改优先级…</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Retry group…</source>
        <translation>重试整组…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Failure inbox</source>
        <translation>失败收件箱</translation>
    </message>
    <message>
        <location line="+213"/>
        <source>{filter}
Click to remove this filter</source>
        <translation>{filter}
点击移除此筛选条件</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No task matches this filter. Remove a filter (✕) above, or widen the time range.</source>
        <translation>没有任务符合此筛选条件。请移除上方的筛选条件（✕），或扩大时间范围。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{n} shown, all that match</source>
        <translation>已显示 {n} 个，即全部匹配项</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} shown, more as you scroll</source>
        <translation>已显示 {n} 个，滚动可加载更多</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{n} more tasks match now — show them</source>
        <translation>现有另外 {n} 个任务匹配 — 显示它们</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>{n} groups since {since}, {unread} unread</source>
        <translation>自 {since} 起 {n} 个组，{unread} 个未读</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No failures since {since}.</source>
        <translation>自 {since} 起无失败。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Not connected to a backend.</source>
        <translation>未连接到后端。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>admins</source>
        <translation>管理员</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>support and admins</source>
        <translation>支持人员和管理员</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Your role ({role}) cannot do this; {who} can.</source>
        <translation>您的角色（{role}）无法执行此操作；{who}可以。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Select one or more tasks first.</source>
        <translation>请先选择一个或多个任务。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Only finished tasks can be retried.</source>
        <translation>只能重试已结束的任务。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Only tasks not finished yet can be cancelled.</source>
        <translation>只能取消尚未结束的任务。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Only tasks waiting in a queue can change priority.</source>
        <translation>只能更改在队列中等待的任务的优先级。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Select a failure group first.</source>
        <translation>请先选择一个失败组。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Retry every failed task of the group</source>
        <translation>重试该组中的每个失败任务</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>task {id}</source>
        <translation>任务 {id}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} selected tasks</source>
        <translation>{n} 个所选任务</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>failure group “{group}”</source>
        <translation>失败组“{group}”</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Change priority</source>
        <translation>更改优先级</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>{action}: {target}</source>
        <translation>{action}：{target}</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>{action} of {target} runs as job {job}</source>
        <translation>对 {target} 的{action}作为作业 {job} 运行</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Job {job} ended: {parts}</source>
        <translation>作业 {job} 已结束：{parts}</translation>
    </message>
</context>
<context>
    <name>TasksTableModel</name>
    <message>
        <location filename="../../models/tasks_table_model.py" line="+38"/>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+31"/>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location line="-30"/>
        <source>retrying</source>
        <translation>重试中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>succeeded</source>
        <translation>成功</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rejected</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>worker gone</source>
        <translation>worker 已消失</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Task id</source>
        <translation>任务 ID</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+2"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+2"/>
        <source>Received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Runtime</source>
        <translation>运行时长</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Runtime (s)</source>
        <translation>运行时长（秒）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Retries</source>
        <translation>重试次数</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Newest first</source>
        <translation>最新的在前</translation>
    </message>
</context>
<context>
    <name>Tile</name>
    <message>
        <location filename="../../views/widgets/tile.py" line="+136"/>
        <source>{source}: {problem}</source>
        <translation>{source}：{problem}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{source}: waiting for the first answer</source>
        <translation>{source}：等待首次应答</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{source}, {age} ago</source>
        <translation>{source}，{age}前</translation>
    </message>
</context>
<context>
    <name>TrendPlot</name>
    <message>
        <location filename="../../controllers/overview_controller.py" line="+32"/>
        <source>failure rate</source>
        <translation>失败率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>started</source>
        <translation>开始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>succeeded</source>
        <translation>成功</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>retried</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../models/anomaly_evidence.py" line="-72"/>
        <source>share of 429s</source>
        <translation>429 占比</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>baseline share of 429s</source>
        <translation>429 占比基线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>baseline of rejections</source>
        <translation>拒绝数基线</translation>
    </message>
    <message>
        <location filename="../../views/plots/trend_plot.py" line="+368"/>
        <source>Show or hide {series}</source>
        <translation>显示或隐藏 {series}</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>no data</source>
        <translation>无数据</translation>
    </message>
</context>
<context>
    <name>Window</name>
    <message>
        <location filename="../../domain/series.py" line="+30"/>
        <source>15 min</source>
        <translation>15 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>1 h</source>
        <translation>1 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>6 h</source>
        <translation>6 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>24 h</source>
        <translation>24 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>7 days</source>
        <translation>7 天</translation>
    </message>
</context>
<context>
    <name>WorkerControlDialog</name>
    <message>
        <location filename="../../views/dialogs/worker_control_dialog.py" line="+78"/>
        <source>e.g. 10/m, 5/s, 100/h; 0 removes the limit</source>
        <translation>例如 10/m、5/s、100/h；0 表示取消限制</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no soft limit</source>
        <translation>无软限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no hard limit</source>
        <translation>无硬限制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Processes:</source>
        <translation>进程数：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>At least (min):</source>
        <translation>至少（min）：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>At most (max):</source>
        <translation>至多（max）：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Task type:</source>
        <translation>任务类型：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rate:</source>
        <translation>速率：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Soft limit:</source>
        <translation>软限制：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hard limit:</source>
        <translation>硬限制：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queue:</source>
        <translation>队列：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Why (recorded in the audit log)</source>
        <translation>原因（记入审计日志）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Grow the pool of {hostname}</source>
        <translation>扩大 {hostname} 的进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shrink the pool of {hostname}</source>
        <translation>缩小 {hostname} 的进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Autoscale {hostname}</source>
        <translation>自动伸缩 {hostname}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Set a task rate limit on {hostname}</source>
        <translation>为 {hostname} 设置任务速率限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Set task time limits on {hostname}</source>
        <translation>为 {hostname} 设置任务时间限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Make {hostname} consume a queue</source>
        <translation>让 {hostname} 消费一个队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Make {hostname} stop consuming a queue</source>
        <translation>让 {hostname} 停止消费一个队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shut {hostname} down (warm)</source>
        <translation>关闭 {hostname}（温和关闭）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>at most {0}, as a worker keeps at least 1</source>
        <translation>至多 {0}，因为 worker 至少保留 1 个</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a worker keeps at least 1</source>
        <translation>worker 至少保留 1 个</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{hostname} runs {size} processes. Processes to add:</source>
        <translation>{hostname} 运行 {size} 个进程。要增加的进程数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{hostname} runs {size} processes; only idle ones can be stopped. Processes to remove ({most}):</source>
        <translation>{hostname} 运行 {size} 个进程；只能停止空闲进程。要移除的进程数（{most}）：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{hostname} runs {size} processes. Autoscaling works only on a worker started with --autoscale; others refuse it.</source>
        <translation>{hostname} 运行 {size} 个进程。自动伸缩仅对使用 --autoscale 启动的 worker 有效；其他 worker 会拒绝。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>How many tasks of the type {hostname} may start per second, minute or hour.</source>
        <translation>{hostname} 每秒、每分钟或每小时可启动多少个该类型的任务。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>How long a task of the type may run on {hostname}: at the soft limit it is told, at the hard one its process is killed. Both are set at once: one left at “no … limit” is removed. Shown: its limits now.</source>
        <translation>该类型的任务在 {hostname} 上可运行多长时间：达到软限制时通知任务，达到硬限制时终止其进程。两者同时设置：保留为“无…限制”的一项将被移除。显示的是当前限制。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{hostname} takes tasks from the queue too (until it restarts).</source>
        <translation>{hostname} 也会从该队列获取任务（直到重启）。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{hostname} takes no more tasks from the queue (until it restarts); the tasks it holds finish.</source>
        <translation>{hostname} 不再从该队列获取任务（直到重启）；其持有的任务会继续完成。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{hostname} takes no new task, finishes the ones it runs and exits. It does not reply to this: it going offline confirms it. Only whatever started it can start it again.</source>
        <translation>{hostname} 不再接收新任务，完成正在运行的任务后退出。它不会对此应答：其下线即为确认。只有启动它的程序才能再次启动它。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>It runs {0} processes; a worker keeps at least 1, so it cannot shrink.</source>
        <translation>它运行 {0} 个进程；worker 至少保留 1 个，因此无法缩小。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The minimum must not be above the maximum.</source>
        <translation>最小值不能大于最大值。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The worker registered no task type to choose.</source>
        <translation>该 worker 没有注册可选的任务类型。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Give a rate such as 10/m, 5/s or 100/h, or 0 for none.</source>
        <translation>请输入速率，例如 10/m、5/s 或 100/h，或输入 0 表示不限制。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Give a soft limit, a hard one, or both.</source>
        <translation>请输入软限制、硬限制或两者。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The soft limit must be below the hard one.</source>
        <translation>软限制必须小于硬限制。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Name a queue.</source>
        <translation>请指定一个队列。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A queue&apos;s name has letters, digits and _ . : @ - only.</source>
        <translation>队列名称只能包含字母、数字和 _ . : @ -。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Give a reason.</source>
        <translation>请填写原因。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Its soft limit ({0} s) will be removed.</source>
        <translation>其软限制（{0} 秒）将被移除。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Its hard limit ({0} s) will be removed.</source>
        <translation>其硬限制（{0} 秒）将被移除。</translation>
    </message>
</context>
<context>
    <name>WorkerDetailPane</name>
    <message>
        <location filename="../../views/worker_detail_pane.py" line="+56"/>
        <source>Task id</source>
        <translation>任务 ID</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Arguments</source>
        <translation>参数</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Due</source>
        <translation>计划时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Process</source>
        <translation>进程</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Task name</source>
        <translation>任务名称</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Controls</source>
        <translation>控制</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Grow pool…</source>
        <translation>扩大进程池…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shrink pool…</source>
        <translation>缩小进程池…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Autoscale…</source>
        <translation>自动伸缩…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Task rate limit…</source>
        <translation>任务速率限制…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Task time limits…</source>
        <translation>任务时间限制…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Consume queue…</source>
        <translation>消费队列…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop consuming…</source>
        <translation>停止消费…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Warm shutdown…</source>
        <translation>温和关闭…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Grow pool</source>
        <translation>扩大进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Shrink pool</source>
        <translation>缩小进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Autoscale</source>
        <translation>自动伸缩</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Task rate limit</source>
        <translation>任务速率限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Task time limits</source>
        <translation>任务时间限制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Consume queue</source>
        <translation>消费队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop consuming</source>
        <translation>停止消费</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Warm shutdown</source>
        <translation>温和关闭</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Active</source>
        <translation>活动</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reserved</source>
        <translation>已预取</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Scheduled</source>
        <translation>已计划</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Registered</source>
        <translation>已注册</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{shown} of {total}</source>
        <translation>{shown}/{total}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Select a worker to see what it holds.</source>
        <translation>选择一个 worker 以查看其持有的任务。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Asking {0}…</source>
        <translation>正在询问 {0}…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No detail from the backend: {0}</source>
        <translation>后端未提供详情：{0}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{0} is offline, down since {1} (its last heartbeat); not asked.</source>
        <translation>{0} 已离线，自 {1} 起（最后一次心跳）；未询问。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{0} did not reply within {1} s; what it holds is unknown.</source>
        <translation>{0} 未在 {1} 秒内应答；其持有的任务未知。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{0} as it said at {1}; each list shows at most {2} items.</source>
        <translation>{0} 在 {1} 时报告的状态；每个列表最多显示 {2} 项。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Pool</source>
        <translation>进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Concurrency</source>
        <translation>并发数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Prefetch</source>
        <translation>预取数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queues</source>
        <translation>队列</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Celery</source>
        <translation>Celery</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Main process</source>
        <translation>主进程</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Down since</source>
        <translation>离线自</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Only an admin can change workers; you are signed in as {role}.</source>
        <translation>只有管理员可以更改 worker；您当前以 {role} 身份登录。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a role not known yet</source>
        <translation>尚未知的角色</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Not connected to a backend.</source>
        <translation>未连接到后端。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Select a worker.</source>
        <translation>请选择一个 worker。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The worker is offline.</source>
        <translation>该 worker 已离线。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The worker did not answer its last question; wait for it to.</source>
        <translation>该 worker 尚未应答上一个询问；请等待。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A command is under way.</source>
        <translation>有命令正在执行。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The worker registered no task type.</source>
        <translation>该 worker 没有注册任务类型。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The worker was started without --autoscale, so it refuses autoscaling.</source>
        <translation>该 worker 启动时未使用 --autoscale，因此拒绝自动伸缩。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The worker runs {0} processes; a worker keeps at least 1.</source>
        <translation>该 worker 运行 {0} 个进程；worker 至少保留 1 个。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The worker consumes no queue.</source>
        <translation>该 worker 未消费任何队列。</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Sending {command} to {hostname}…</source>
        <translation>正在向 {hostname} 发送 {command}…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{command} was not sent to {hostname}: {problem}</source>
        <translation>{command} 未发送到 {hostname}：{problem}</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>&lt;b&gt;{command}&lt;/b&gt;{arguments} (audit entry {audit_id}):</source>
        <translation>&lt;b&gt;{command}&lt;/b&gt;{arguments}（审计条目 {audit_id}）：</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>✔ {hostname} replied: {message}</source>
        <translation>✔ {hostname} 已应答：{message}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>✘ {hostname} refused: {message}</source>
        <translation>✘ {hostname} 已拒绝：{message}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>… {hostname} did not reply within {seconds} s</source>
        <translation>… {hostname} 未在 {seconds} 秒内应答</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Sent; a worker does not reply to a shutdown: it takes no new task, finishes the ones it runs and exits. Its heartbeats stopping (the Workers page shows it offline) confirms it.</source>
        <translation>已发送；worker 不会对关闭命令应答：它不再接收新任务，完成正在运行的任务后退出。其心跳停止（worker 页面显示为离线）即为确认。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>A worker that refused may have changed its pool partly; its detail is asked again and shows the processes it runs now.</source>
        <translation>拒绝的 worker 可能已部分更改其进程池；正在重新询问其详情，将显示其当前运行的进程。</translation>
    </message>
</context>
<context>
    <name>WorkersPage</name>
    <message>
        <location filename="../../views/workers_page.py" line="+24"/>
        <source>Workers</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Filter workers (Ctrl+F)</source>
        <translation>筛选 worker（Ctrl+F）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Active tasks of the selected worker (1 h)</source>
        <translation>所选 worker 的活动任务（1 小时）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Select a worker</source>
        <translation>选择一个 worker</translation>
    </message>
</context>
<context>
    <name>WorkersTableModel</name>
    <message>
        <location filename="../../models/workers_table_model.py" line="+19"/>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stale</source>
        <translation>过时</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>offline for {duration}</source>
        <translation>已离线 {duration}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>1 task at {time}</source>
        <translation>1 个任务，于 {time}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{n} tasks at {time}</source>
        <translation>{n} 个任务，于 {time}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>A process of this worker died holding these tasks; the broker delivers them again to a live worker once the visibility timeout has passed since it took them (the first at {time}). Their quota slots are free until then.</source>
        <translation>此 worker 的一个进程在持有这些任务时终止；自其获取任务起经过可见性超时后，broker 会将其重新投递给存活的 worker（第一个在 {time}）。在此之前，它们的配额名额处于空闲状态。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>main process {pid}, heard from since {time}</source>
        <translation>主进程 {pid}，自 {time} 起有消息</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Load {n} min</source>
        <translation>负载 {n} 分钟</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{age} ago</source>
        <translation>{age}前</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+1"/>
        <source>Worker</source>
        <translation>Worker</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Process</source>
        <translation>进程</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+2"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Last heartbeat</source>
        <translation>最近心跳</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Active</source>
        <translation>活动任务</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Processed</source>
        <translation>已处理</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pool</source>
        <translation>进程池</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Concurrency</source>
        <translation>并发数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Load (1/5/15 min)</source>
        <translation>负载（1/5/15 分钟）</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+1"/>
        <source>Awaiting redelivery</source>
        <translation>等待重新投递</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Redelivery at</source>
        <translation>重新投递时间</translation>
    </message>
</context>
<context>
    <name>_AskDialog</name>
    <message>
        <location filename="../../views/dialogs/silence_dialog.py" line="-177"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>This was sent and may have been done: look at the silences list before sending it again (change it to send something else).</source>
        <translation>已发送，可能已执行：再次发送前请查看静默列表（修改后可发送其他内容）。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Asking the backend…</source>
        <translation>正在询问后端…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
</TS>
