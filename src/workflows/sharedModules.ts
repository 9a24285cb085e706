/**
 * The modules every workflow imports that hold no per-workflow state: pure rules, constants and
 * luxon. The worker evaluates them once and shares them between workflows (the reusable V8
 * context's `preloadModules`); everything else is evaluated again for each workflow it runs. Without
 * this each cached workflow carried its own copy of luxon and the rules (about 0.5 MB) and each new
 * workflow paid to evaluate them. Shared modules are deep-frozen by the SDK: nothing listed here may
 * keep mutable module state that a workflow could see (a cache of pure results is fine).
 */
import 'luxon';
import '../domain/appointment/appointmentState';
import '../domain/phone/conversationState';
import '../domain/reminders/planReminders';
import '../domain/replies/parseReply';
import '../domain/replies/statusAfterReply';
import '../domain/time/zone';
import '../shared/activityOptions';
import '../shared/appointment';
import '../shared/phone';
import '../shared/temporal';
import './phoneQueries';
